"""Integration harness: a private Mosquitto on a free loopback port, the real edgeline
binaries as processes, a real SQLite file. Every process started here is stopped by its
pid when the Stack closes (also on test failure). Used by the tests and by `make demo`."""

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN_DIR = os.environ.get("EDGELINE_BIN_DIR", os.path.join(REPO, "build"))


_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """Runs in each child before exec: SIGKILL it when the test process dies, however it
    dies (ctest kills a test that times out), so no broker or daemon outlives a test."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


# A SIGTERM (e.g. Ctrl-C of the demo's parent, or a CI cancel) closes stacks in order.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def binary(name):
    sub = {"edgeline-agent": "agent", "edgeline-aggregator": "aggregator", "edgeline": "cli"}[name]
    path = os.path.join(BIN_DIR, sub, name)
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"{path} not built (set EDGELINE_BIN_DIR)")
    return path


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(fn, timeout=30.0, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fn()
            if last:
                return last
        except Exception as e:  # the thing waited for may not be up yet
            last = e
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def wait_port(port, timeout=15.0):
    def up():
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    wait_until(up, timeout, what=f"port {port}")


class Stack:
    """A private edgeline deployment under one directory."""

    def __init__(self, name, root=None, keep_dir=False):
        if root is None:
            root = tempfile.mkdtemp(prefix=f"edgeline-{name}-")
            self._own_root = not keep_dir
        else:
            shutil.rmtree(root, ignore_errors=True)
            os.makedirs(root)
            self._own_root = False
        os.chmod(root, 0o755)  # mosquitto drops to its own user when started as root
        self.root = root
        self.procs = {}  # name -> Popen
        self._logged = set()  # every name that has a log
        self.broker_port = None
        self.http_port = None

    # -- lifecycle ---------------------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            # A failing test shows what every process said last.
            for name in sorted(set(self.procs) | self._logged):
                tail = "\n".join(self.log(name).splitlines()[-25:])
                print(f"--- {name}.log (last lines) ---\n{tail}", file=sys.stderr)
        self.close()

    def close(self):
        for name in list(self.procs):
            self.stop(name)
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def _spawn(self, name, argv, env=None):
        log = open(os.path.join(self.root, f"{name}.log"), "ab")
        self._logged.add(name)
        full_env = dict(os.environ)
        full_env.update(env or {})
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             cwd=REPO, env=full_env, preexec_fn=_die_with_parent)
        log.close()
        self.procs[name] = p
        return p

    def stop(self, name, sig=signal.SIGTERM, timeout=15.0):
        p = self.procs.pop(name, None)
        if p is None:
            return None
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        return p.returncode

    def log(self, name):
        try:
            with open(os.path.join(self.root, f"{name}.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    # -- components --------------------------------------------------------------
    def start_broker(self, port=None):
        self.broker_port = port or self.broker_port or free_port()
        self._mosquitto("mosquitto", self.broker_port)

    def start_local_broker(self, name="sensors", port=None):
        """Another Mosquitto, e.g. the devices' local broker that mqtt inputs subscribe
        to, apart from the control-plane broker. Returns its port."""
        port = port or free_port()
        self._mosquitto(name, port)
        return port

    def _mosquitto(self, name, port):
        conf = os.path.join(self.root, f"{name}.conf")
        with open(conf, "w") as f:
            f.write(f"listener {port} 127.0.0.1\n"
                    "allow_anonymous true\n"
                    "max_queued_messages 100000\n"
                    "persistence false\n"
                    "log_dest stdout\n"
                    "log_type error\nlog_type warning\nlog_type notice\n")
        os.chmod(conf, 0o644)
        self._spawn(name, ["mosquitto", "-c", conf])
        wait_port(port)

    @property
    def broker_uri(self):
        return f"tcp://127.0.0.1:{self.broker_port}"

    @property
    def api(self):
        return f"http://127.0.0.1:{self.http_port}"

    def start_aggregator(self, extra=(), wait=True):
        self.http_port = self.http_port or free_port()
        db = os.path.join(self.root, "aggregator.db")
        self._spawn("aggregator", [binary("edgeline-aggregator"), "--broker", self.broker_uri,
                                   "--db", db, "--http", f"127.0.0.1:{self.http_port}",
                                   "--flush-interval-ms", "100", *extra])
        if wait:
            wait_until(lambda: self.get("/healthz")["mqtt"] == "connected", 20,
                       what="aggregator health")
        return db

    def start_agent(self, agent_id, labels="", extra=()):
        state = os.path.join(self.root, "agents", agent_id)
        argv = [binary("edgeline-agent"), "--broker", self.broker_uri, "--id", agent_id,
                "--state-dir", state, *extra]
        if labels:
            argv += ["--labels", labels]
        self._spawn(f"agent-{agent_id}", argv)
        return state

    def cli(self, *args, check=True, timeout=120):
        argv = [binary("edgeline"), "--broker", self.broker_uri, *args]
        if self.http_port:
            argv[1:1] = ["--api", self.api]
        r = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} exited {r.returncode}:\n{r.stdout}{r.stderr}")
        return r

    def get(self, path):
        with urllib.request.urlopen(self.api + path, timeout=5) as r:
            body = r.read().decode()
            return json.loads(body) if r.headers.get_content_type() == "application/json" else body

    def get_status(self, path):
        """(status, parsed body) without raising on HTTP errors."""
        try:
            with urllib.request.urlopen(self.api + path, timeout=5) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def metrics(self):
        """Prometheus text exposition parsed into {'name{labels}': value}."""
        out = {}
        for line in self.get("/metrics").splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.rpartition(" ")
                out[key] = float(value)
        return out

    def mosquitto_pub(self, topic, payload=None, retain=False, qos=1, file=None, port=None):
        argv = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port or self.broker_port),
                "-q", str(qos), "-t", topic]
        if retain:
            argv.append("-r")
        if isinstance(payload, bytes) or (payload and len(payload) > 65536):
            # Raw bytes, or too long for one argument: through a file.
            file = os.path.join(self.root, "payload.bin")
            with open(file, "wb") as f:
                f.write(payload if isinstance(payload, bytes) else payload.encode())
        if file is not None:
            argv += ["-f", file]
        elif payload is None or payload == "":
            argv.append("-n")
        else:
            argv += ["-m", payload]
        subprocess.run(argv, check=True, timeout=30)

    def retained(self, topic_filter, timeout=2.0):
        """Retained messages on a filter, as {topic: parsed JSON}."""
        r = subprocess.run(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(self.broker_port),
                            "-t", topic_filter, "-v", "--retained-only", "-W", str(int(timeout))],
                           capture_output=True, text=True, timeout=timeout + 10)
        out = {}
        for line in r.stdout.splitlines():
            topic, _, payload = line.partition(" ")
            try:
                out[topic] = json.loads(payload)
            except ValueError:
                out[topic] = payload
        return out


def reference(job_file, agents, root=None):
    """The independent Python computation of what a job must produce. Input paths are
    relative to `root` (default: the repository)."""
    argv = [sys.executable, os.path.join(REPO, "tests", "integration", "reference.py"),
            "--job", job_file]
    if root:
        argv += ["--root", root]
    for a in agents:
        argv += ["--agent", a]
    return json.loads(subprocess.run(argv, check=True, capture_output=True, text=True,
                                     cwd=REPO).stdout)


def assert_windows_equal(got, want, rel=1e-9):
    """count/min/max exact; sum/mean/stddev within `rel` relative error."""
    def key(w):
        return (w["window_start"], w["key"], w["field"])
    got = sorted(got, key=key)
    want = sorted(want, key=key)
    assert [key(w) for w in got] == [key(w) for w in want], \
        f"window keys differ:\n got  {[key(w) for w in got]}\n want {[key(w) for w in want]}"
    for g, w in zip(got, want):
        where = key(g)
        assert g["window_end"] == w["window_end"], where
        for f in ("count", "min", "max"):
            assert g[f] == w[f], f"{where} {f}: got {g[f]!r}, want {w[f]!r}"
        for f in ("sum", "mean", "stddev"):
            if w[f] is None:
                assert g[f] is None, f"{where} {f}: got {g[f]!r}, want null"
            else:
                assert abs(g[f] - w[f]) <= rel * max(1.0, abs(w[f])), \
                    f"{where} {f}: got {g[f]!r}, want {w[f]!r}"


def assert_job_matches_reference(stack, job, agents, timeout=20):
    """Waits until the aggregator holds every record the reference keeps for the shipped
    job examples/jobs/<job>.json on `agents` (its temp counts add up), then asserts every
    window equals the reference's. Returns the reference."""
    ref = reference(f"examples/jobs/{job}.json", agents)
    kept = sum(ref["summary"][a]["kept"] for a in agents)

    def windows():
        return stack.get(f"/api/v1/windows?job={job}")["windows"]
    wait_until(lambda: sum(w["count"] for w in windows() if w["field"] == "temp") == kept,
               timeout, what=f"{job} windows committed")
    assert_windows_equal(windows(), ref["windows"])
    return ref


def run_test(fn):
    """Runs one test function; prints its outcome as the last line."""
    name = os.path.basename(sys.argv[0])
    try:
        fn()
    except Exception:
        import traceback
        traceback.print_exc()
        print(f"FAIL {name}")
        sys.exit(1)
    print(f"PASS {name}")
