#!/usr/bin/python3
"""The pandas baseline of docs/benchmarks.md: what a per-node cleaning script does today.

read_csv -> to_numeric(errors="coerce") on the value columns -> dropna on temp and hum ->
range filter on hum (0..100), on the reference sensor CSV (ts,device,temp,hum,pressure).
Prints one JSON line: rows read, rows kept, seconds (wall, this process only, after the
imports), and the peak RSS of this process in KB.

Usage: pandas_clean.py FILE.csv   (needs python3-pandas: apt-get install python3-pandas)
"""
import json
import resource
import sys
import time

import pandas as pd


def main():
    path = sys.argv[1]
    t0 = time.perf_counter()
    df = pd.read_csv(path)
    read = len(df)
    for col in ("temp", "hum", "pressure"):
        df[col] = pd.to_numeric(df[col], errors="coerce")
    df = df.dropna(subset=["temp", "hum"])
    df = df[(df["hum"] >= 0) & (df["hum"] <= 100)]
    seconds = time.perf_counter() - t0
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"read": read, "kept": len(df), "seconds": round(seconds, 3),
                      "max_rss_kb": rss_kb}))


if __name__ == "__main__":
    main()
