"""Deployment files, checked without a Docker engine or systemd as PID 1:

- docker/compose.yaml parses; its services, ports, volumes, healthchecks, build and
  depends_on refer to things that exist: every mounted file is in the repository, named
  volumes are declared, published ports are the ports the services' configs listen on,
  healthcheck URLs are served, ${VARS} are documented in docker/env.example.
- The mounted configs are valid: the shipped mosquitto.conf runs with auth (anonymous
  refused, a user added with mosquitto_passwd accepted), docker/aggregator.conf passes
  --check-config, Prometheus' config (with its file_sd file) passes promtool, Grafana's
  provisioning points at the mounted dashboards and the provisioned datasource.
- docker/Dockerfile: multi-stage, non-root, healthcheck on /healthz; its build steps
  are the commands the Makefile's `make build` runs (install-deps, cmake configure,
  cmake --build); its runtime packages provide every shared library of the binaries.
- systemd units: `systemd-analyze verify` on both (with the ExecStart paths pointed at
  the built binaries in a temporary copy) with no warning, and the properties the
  deployment needs (Type=notify, WatchdogSec, hardening, ...); the agent's sd_notify
  messages (READY, WATCHDOG, RELOADING, STOPPING) on a fake NOTIFY_SOCKET.
- packaging: the CPack config installs the unit, the binary and the example config,
  and its maintainer scripts are valid shell."""

import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import yaml

from harness import REPO, BIN_DIR, binary, free_port, run_test, wait_port

DOCKER = os.path.join(REPO, "docker")


def read(*parts):
    with open(os.path.join(REPO, *parts)) as f:
        return f.read()


def load_yaml(*parts):
    return yaml.safe_load(read(*parts))


def mounts(service):
    """[(source, target, is_bind)] of a compose service's short-syntax volumes."""
    out = []
    for v in service.get("volumes", []):
        assert isinstance(v, str), f"long volume syntax not checked: {v!r}"
        parts = v.split(":")
        assert len(parts) in (2, 3), v
        src, dst = parts[0], parts[1]
        if len(parts) == 3:
            assert parts[2] in ("ro", "rw"), v
        out.append((src, dst, src.startswith((".", "/"))))
    return out


def container_path(service, repo_path):
    """Where a repository file or directory is mounted in a service."""
    repo_path = os.path.realpath(repo_path)
    for src, dst, bind in mounts(service):
        if not bind:
            continue
        host = os.path.realpath(os.path.join(DOCKER, src))
        if repo_path == host:
            return dst
        if repo_path.startswith(host + os.sep):
            return dst + repo_path[len(host):]
    return None


def host_path(service, path):
    """The repository file behind a path inside a service's container (bind mounts)."""
    for src, dst, bind in mounts(service):
        if bind and (path == dst or path.startswith(dst.rstrip("/") + "/")):
            return os.path.realpath(os.path.join(DOCKER, src)) + path[len(dst):]
    return None


def under_named_volume(service, path):
    return any(not bind and (path == dst or path.startswith(dst.rstrip("/") + "/"))
               for _, dst, bind in mounts(service))


def published(service):
    """{container port: host address ("" for every interface)} of a service's ports."""
    out = {}
    for p in service.get("ports", []):
        parts = str(p).split(":")
        out[int(parts[-1])] = parts[0] if len(parts) == 3 else ""
    return out


def conf_values(text):
    """name = value (edgeline) or `name value` (mosquitto) lines, comments dropped."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" in line:
            k, _, v = line.partition("=")
        else:
            k, _, v = line.partition(" ")
        out.setdefault(k.strip(), v.strip())
    return out


def check_compose():
    compose = load_yaml("docker", "compose.yaml")
    services = compose["services"]
    assert set(services) == {"mosquitto", "aggregator", "prometheus", "grafana"}, services
    named = set(compose.get("volumes") or {})
    used = set()
    for name, svc in services.items():
        for src, dst, bind in mounts(svc):
            if bind:
                path = os.path.join(DOCKER, src)
                assert os.path.exists(path), f"{name}: mounted {src} does not exist"
                assert os.path.realpath(path).startswith(REPO + os.sep), f"{name}: {src} outside"
            else:
                assert src in named, f"{name}: volume {src} is not declared"
                used.add(src)
        for dep in svc.get("depends_on", []):
            assert dep in services, f"{name} depends on unknown service {dep}"
        assert svc.get("restart") == "unless-stopped", name
        assert "image" in svc or "build" in svc, name
    assert used == named, f"declared but unused volumes: {named - used}"

    # ${VAR} interpolations are documented in env.example.
    text = read("docker", "compose.yaml")
    env_example = conf_values(read("docker", "env.example"))
    for var in re.findall(r"\$\{(\w+)", text):
        assert var in env_example, f"${{{var}}} is not in docker/env.example"
    assert ".env" in read("docker", ".gitignore").split()

    # mosquitto: the shipped config, with auth, mounted with its password file.
    mq = services["mosquitto"]
    mq_conf = conf_values(read("config", "mosquitto.conf"))
    assert container_path(mq, os.path.join(REPO, "config", "mosquitto.conf")) == \
        "/mosquitto/config/mosquitto.conf"
    assert mq_conf["allow_anonymous"] == "false"
    assert host_path(mq, mq_conf["password_file"]) == \
        os.path.join(REPO, "config", "mosquitto.passwd"), mq_conf["password_file"]
    assert int(mq_conf["max_queued_messages"]) >= 100000
    assert under_named_volume(mq, mq_conf["persistence_location"].rstrip("/"))
    assert int(mq_conf["listener"].split()[0]) in published(mq)

    # aggregator: built from docker/Dockerfile, config mounted, SQLite on a named volume,
    # the published port is its http port, the healthcheck asks /healthz there.
    agg = services["aggregator"]
    context = os.path.normpath(os.path.join(DOCKER, agg["build"]["context"]))
    assert context == REPO, context
    assert os.path.join(context, agg["build"]["dockerfile"]) == os.path.join(DOCKER, "Dockerfile")
    cmd = agg["command"]
    conf_in_container = cmd[cmd.index("--config") + 1]
    conf_file = host_path(agg, conf_in_container)
    assert conf_file == os.path.join(DOCKER, "aggregator.conf"), conf_file
    agg_conf = conf_values(read("docker", "aggregator.conf"))
    assert under_named_volume(agg, agg_conf["db"]), agg_conf["db"]
    http_port = int(agg_conf["http"].rsplit(":", 1)[1])
    assert http_port in published(agg)
    assert agg_conf["broker"] == f"tcp://mosquitto:{mq_conf['listener'].split()[0]}"
    assert "EDGELINE_AGGREGATOR_PASSWORD" in agg["environment"]
    hc = agg["healthcheck"]["test"]
    assert hc[:3] == ["CMD", "curl", "-fsS"] and hc[3] == f"http://127.0.0.1:{http_port}/healthz", hc
    assert '"/healthz"' in read("aggregator", "http_api.cc")
    # The env override and the mounted file pass the real binary's --check-config.
    r = subprocess.run([binary("edgeline-aggregator"), "--check-config", "--config", conf_file],
                       capture_output=True, text=True, timeout=30,
                       env={**os.environ, "EDGELINE_AGGREGATOR_PASSWORD": "x"})
    assert r.returncode == 0, r.stderr

    # prometheus: its config and the agents file mounted; targets are compose services.
    prom = services["prometheus"]
    pcmd = prom["command"]
    cfg_path = next(a.split("=", 1)[1] for a in pcmd if a.startswith("--config.file="))
    assert host_path(prom, cfg_path) == os.path.join(DOCKER, "prometheus.yml")
    tsdb = next(a.split("=", 1)[1] for a in pcmd if a.startswith("--storage.tsdb.path="))
    assert under_named_volume(prom, tsdb)
    listen = next(a.split("=", 1)[1] for a in pcmd if a.startswith("--web.listen-address="))
    prom_port = int(listen.rsplit(":", 1)[1])
    assert prom_port in published(prom)
    assert f"127.0.0.1:{prom_port}/" in prom["healthcheck"]["test"][-1]
    pcfg = load_yaml("docker", "prometheus.yml")
    jobs = {sc["job_name"]: sc for sc in pcfg["scrape_configs"]}
    assert set(jobs) == {"edgeline-aggregator", "edgeline-agent"}
    for sc in jobs.values():
        assert sc.get("honor_labels") is True, sc  # the dashboards use the `job` label
    assert jobs["edgeline-aggregator"]["static_configs"][0]["targets"] == \
        [f"aggregator:{http_port}"]
    sd_files = jobs["edgeline-agent"]["file_sd_configs"][0]["files"]
    local_sd = [host_path(prom, p) for p in sd_files]
    assert all(p and os.path.exists(p) for p in local_sd), sd_files
    # promtool with the file_sd path pointed at the repository's file (validates it too).
    with tempfile.TemporaryDirectory() as tmp:
        jobs["edgeline-agent"]["file_sd_configs"][0]["files"] = local_sd
        path = os.path.join(tmp, "prometheus.yml")
        with open(path, "w") as f:
            yaml.safe_dump(pcfg, f)
        r = subprocess.run(["promtool", "check", "config", path], capture_output=True, text=True)
        assert r.returncode == 0 and "WARNING" not in r.stdout + r.stderr, r.stdout + r.stderr
    assert isinstance(load_yaml("docker", "prometheus-agents.yml"), list)

    # grafana: provisioning and dashboards mounted where the provider looks; the
    # datasource is the prometheus service; every dashboard uses that datasource.
    gf = services["grafana"]
    prov = container_path(gf, os.path.join(DOCKER, "grafana", "provisioning"))
    assert prov == "/etc/grafana/provisioning", prov
    ds_files = glob.glob(os.path.join(DOCKER, "grafana", "provisioning", "datasources", "*.yaml"))
    datasources = [d for p in ds_files for d in yaml.safe_load(open(p))["datasources"]]
    assert len(datasources) == 1 and datasources[0]["type"] == "prometheus"
    uid = datasources[0]["uid"]
    assert datasources[0]["url"] == f"http://prometheus:{prom_port}"
    providers = [p for f in glob.glob(os.path.join(DOCKER, "grafana", "provisioning",
                                                   "dashboards", "*.yaml"))
                 for p in yaml.safe_load(open(f))["providers"]]
    assert len(providers) == 1
    dash_dir = host_path(gf, providers[0]["options"]["path"])
    assert dash_dir == os.path.join(DOCKER, "grafana", "dashboards"), dash_dir
    home = gf["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert os.path.exists(host_path(gf, home)), home
    uids = set()
    dashboards = glob.glob(os.path.join(dash_dir, "*.json"))
    assert len(dashboards) >= 2
    for p in dashboards:
        d = json.load(open(p))
        assert d["uid"] not in uids
        uids.add(d["uid"])
        refs = []

        def walk(node):
            if isinstance(node, dict):
                if "datasource" in node and isinstance(node["datasource"], dict):
                    refs.append(node["datasource"])
                for v in node.values():
                    walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)
        walk(d)
        assert refs and all(r == {"type": "prometheus", "uid": uid} for r in refs), (p, refs)
    assert f"127.0.0.1:3000/" in gf["healthcheck"]["test"][-1] and 3000 in published(gf)
    # The API and Prometheus have no authentication: published on loopback only.
    assert published(agg)[http_port] == "127.0.0.1" and published(prom)[prom_port] == "127.0.0.1"


def check_mosquitto_auth():
    """The shipped mosquitto.conf with a real broker: anonymous refused, a user added
    with mosquitto_passwd (to a copy of the shipped password file) accepted."""
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o777)  # mosquitto drops to its own user when started as root
        port = free_port()
        passwd = os.path.join(tmp, "passwd")
        shutil.copy(os.path.join(REPO, "config", "mosquitto.passwd"), passwd)
        r = subprocess.run(["mosquitto_passwd", "-b", passwd, "pi-01", "s3cret"],
                           capture_output=True, text=True)
        assert r.returncode == 0 and not r.stderr.strip(), r  # e.g. "Corrupt password file"
        os.chmod(passwd, 0o644)
        text = read("config", "mosquitto.conf")
        text = text.replace("/mosquitto/config/passwd", passwd)
        text = text.replace("/mosquitto/data/", tmp + "/")
        text = re.sub(r"^listener 1883$", f"listener {port} 127.0.0.1", text, flags=re.M)
        conf = os.path.join(tmp, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(text)
        os.chmod(conf, 0o644)
        p = subprocess.Popen(["mosquitto", "-c", conf], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        try:
            wait_port(port)

            def pub(*auth):
                return subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port),
                                       "-t", "edgeline/test", "-m", "x", *auth],
                                      capture_output=True, text=True, timeout=10)
            r = pub()
            assert r.returncode != 0 and "not authorised" in (r.stdout + r.stderr).lower(), r
            r = pub("-u", "pi-01", "-P", "wrong")
            assert r.returncode != 0, r
            r = pub("-u", "pi-01", "-P", "s3cret")
            assert r.returncode == 0, r
        finally:
            p.terminate()
            p.wait(10)


def make_recipe(target):
    """The recipe lines of a Makefile target."""
    lines = read("Makefile").splitlines()
    start = next(i for i, l in enumerate(lines) if re.match(rf"^{target}:", l))
    out = []
    for l in lines[start + 1:]:
        if not l.startswith("\t"):
            break
        out.append(l.strip().lstrip("@"))
    return out


def normalize(cmd, build_dir):
    """A cmake/install command with the build dir and the flags that differ by purpose
    (build type, tests, parallelism, output plumbing) taken out."""
    cmd = cmd.replace("$(BUILD)", "BUILD").replace("$(CMAKE_FLAGS)", "")
    cmd = re.sub(rf"(?<![\w/-]){re.escape(build_dir)}(?![\w/-])", "BUILD", cmd)
    cmd = re.sub(r"-D\w+=\S+", "", cmd)
    cmd = re.sub(r"-j\S*", "", cmd)
    cmd = re.sub(r">/dev/null|--\s+--no-print-directory|MAKEFLAGS=\s*|MAKELEVEL=\s*", "", cmd)
    return " ".join(cmd.split())


def check_dockerfile():
    text = read("docker", "Dockerfile")
    # Logical lines (continuations joined).
    lines = re.sub(r"\\\n", " ", text).splitlines()
    lines = [l.strip() for l in lines if l.strip() and not l.strip().startswith("#")]
    froms = [l for l in lines if l.startswith("FROM ")]
    assert len(froms) >= 2 and " AS build" in froms[0], froms
    final = lines[lines.index(froms[-1]):]
    build = lines[lines.index(froms[0]):lines.index(froms[-1])]
    users = [l.split()[1] for l in final if l.startswith("USER ")]
    assert users and users[-1] not in ("root", "0"), users
    hc = [l for l in final if l.startswith("HEALTHCHECK ")]
    assert hc and "/healthz" in hc[0] and "curl" in hc[0], hc

    # Build steps == the Makefile's `make build` (deps -> configure -> build).
    run = " ".join(l[4:] for l in build if l.startswith("RUN "))
    steps = [normalize(s, "build") for s in run.split("&&")]
    want = [normalize(c, "build") for t in ("deps", "configure", "build") for c in make_recipe(t)]
    assert want == ["scripts/install-deps.sh", "cmake -S . -B BUILD", "cmake --build BUILD"], want
    assert steps == want, f"Dockerfile build steps {steps} differ from the Makefile's {want}"
    assert "make build" in read("README.md")

    # The binaries copied out of the build stage are where the build puts them.
    copies = [l for l in final if l.startswith("COPY --from=build ")]
    srcs = [s for l in copies for s in l.split()[2:-1]]
    for s in srcs:
        rel = os.path.relpath(s, "/src/build")
        assert os.path.exists(os.path.join(BIN_DIR, rel)), f"{s}: no {rel} in {BIN_DIR}"
    entry = json.loads(next(l for l in final if l.startswith("ENTRYPOINT "))[len("ENTRYPOINT "):])
    assert entry == ["edgeline-aggregator"], entry
    assert any(s.endswith("/edgeline-aggregator") for s in srcs)
    # Its default --config exists in the image.
    cmd = json.loads(next(l for l in final if l.startswith("CMD "))[len("CMD "):])
    conf = cmd[cmd.index("--config") + 1]
    assert any(l.startswith("COPY ") and l.split()[-1] == conf for l in final), conf

    ignore = read("docker", "Dockerfile.dockerignore").split()
    assert "build" in ignore and "build-*" in ignore and ".git" in ignore

    # The runtime packages (plus apt, which debian:12-slim has) provide every shared
    # library the copied binaries load.
    install = " ".join(l for l in final if "apt-get install" in l)
    pkgs = re.findall(r"(?<![-\w])(lib[\w.+-]+|curl|ca-certificates)(?=\s|$)",
                      install.split("apt-get install", 1)[1].split("&&")[0])
    assert "curl" in pkgs, pkgs
    if subprocess.run(["apt-cache", "show", pkgs[0]], capture_output=True).returncode != 0:
        print("note: no apt package lists (apt-get update): runtime library check skipped")
        return
    closure = subprocess.run(["apt-cache", "depends", "--recurse", "--no-recommends",
                              "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces",
                              "--no-enhances", "--no-pre-depends", *pkgs, "apt"],
                             capture_output=True, text=True, check=True).stdout
    have = {l.split(":")[-1].strip().split(":")[0] for l in closure.splitlines()}
    for s in srcs:
        path = os.path.join(BIN_DIR, os.path.relpath(s, "/src/build"))
        ldd = subprocess.run(["ldd", path], capture_output=True, text=True, check=True).stdout
        for lib in re.findall(r"=> (/\S+)", ldd):
            if re.search(r"/lib(asan|ubsan|tsan)\.so", lib):
                continue  # a sanitizer build's runtime (make test-asan/-tsan), never shipped
            owner = None
            for candidate in (lib, os.path.realpath(lib),
                              "/usr" + lib if not lib.startswith("/usr") else lib[4:]):
                r = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
                if r.returncode == 0:
                    owner = r.stdout.split(":")[0]
                    break
            assert owner, f"{lib}: no package owns it"
            assert owner in have, f"{os.path.basename(path)} needs {lib} from {owner}, " \
                                  f"which the Dockerfile does not install"


def unit_props(path):
    props = {}
    for line in open(path):
        line = line.strip()
        if line and not line.startswith(("#", "[")) and "=" in line:
            k, _, v = line.partition("=")
            props.setdefault(k, []).append(v)
    return props


def check_systemd():
    agent = unit_props(os.path.join(REPO, "systemd", "edgeline-agent.service"))
    for key, value in {"Type": "notify", "Restart": "on-failure", "ProtectSystem": "strict",
                       "NoNewPrivileges": "true", "PrivateTmp": "true", "User": "edgeline",
                       "StateDirectory": "edgeline-agent"}.items():
        assert agent.get(key) == [value], (key, agent.get(key))
    assert agent["WatchdogSec"] and agent["MemoryMax"]
    assert agent["ExecStartPre"][0].split()[:2] == ["/usr/bin/edgeline-agent", "--check-config"]
    assert "--state-dir /var/lib/edgeline-agent" in agent["ExecStart"][0]
    assert "-HUP" in agent["ExecReload"][0]
    aggregator = unit_props(os.path.join(REPO, "systemd", "edgeline-aggregator.service"))
    assert aggregator["Type"] == ["notify"] and aggregator["WatchdogSec"]

    if not shutil.which("systemd-analyze"):
        raise AssertionError("systemd-analyze missing: scripts/install-deps.sh installs systemd")
    # The daemons support what Type=notify and ExecReload promise.
    for b in ("edgeline-agent", "edgeline-aggregator"):
        nm = subprocess.run(["nm", "-D", binary(b)], capture_output=True, text=True).stdout
        assert "sd_notify" in nm, f"{b} is built without sd_notify (EDGELINE_WITH_SYSTEMD)"
    with tempfile.TemporaryDirectory() as tmp:
        for unit, name in (("edgeline-agent.service", "edgeline-agent"),
                           ("edgeline-aggregator.service", "edgeline-aggregator")):
            shutil.copy(binary(name), os.path.join(tmp, name))
            text = read("systemd", unit).replace(f"/usr/bin/{name}", os.path.join(tmp, name))
            path = os.path.join(tmp, unit)
            with open(path, "w") as f:
                f.write(text)
            r = subprocess.run(["systemd-analyze", "verify", path], capture_output=True,
                               text=True, timeout=60)
            out = (r.stdout + r.stderr).strip()
            assert r.returncode == 0 and not out, f"systemd-analyze verify {unit}:\n{out}"
        # The ExecStartPre line really works with the example config.
        r = subprocess.run([os.path.join(tmp, "edgeline-agent"), "--check-config", "--config",
                            os.path.join(REPO, "config", "agent.example.conf")],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr


def check_sd_notify():
    """What Type=notify, WatchdogSec= and ExecReload rely on, with a fake NOTIFY_SOCKET:
    the agent sends READY=1, WATCHDOG=1 pings at half of WATCHDOG_USEC, RELOADING=1 and
    READY=1 around a SIGHUP, STOPPING=1 on SIGTERM, and exits 0."""
    with tempfile.TemporaryDirectory() as tmp:
        sock_path = os.path.join(tmp, "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(sock_path)
        sock.settimeout(0.2)
        env = {**os.environ, "NOTIFY_SOCKET": sock_path, "WATCHDOG_USEC": "400000"}
        env.pop("WATCHDOG_PID", None)
        # No broker on this port: the agent starts anyway and keeps reconnecting.
        p = subprocess.Popen([binary("edgeline-agent"), "--id", "notify-test", "--state-dir",
                              os.path.join(tmp, "state"), "--broker",
                              f"tcp://127.0.0.1:{free_port()}"],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        got = []

        def recv_until(pred, timeout):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    got.append(sock.recv(4096).decode())
                except socket.timeout:
                    pass
                if pred():
                    return
            raise AssertionError(f"sd_notify messages so far: {got}")
        try:
            recv_until(lambda: "READY=1" in got, 15)
            recv_until(lambda: got.count("WATCHDOG=1") >= 3, 5)  # every 200 ms
            p.send_signal(signal.SIGHUP)
            recv_until(lambda: "RELOADING=1" in got and got[-1] == "READY=1", 5)
            p.send_signal(signal.SIGTERM)
            recv_until(lambda: "STOPPING=1" in got, 5)
            assert p.wait(20) == 0, p.stderr.read()
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            sock.close()


def check_packaging():
    cpack = read("packaging", "cpack.cmake")
    for needle in ("install(TARGETS edgeline-agent", "systemd/edgeline-agent.service",
                   "config/agent.example.conf", "packaging/deb/postinst", "CPACK_DEBIAN"):
        assert needle in cpack, needle
    assert "include(packaging/cpack.cmake)" in read("CMakeLists.txt")
    for script in ("postinst", "prerm", "postrm"):
        path = os.path.join(REPO, "packaging", "deb", script)
        assert os.access(path, os.X_OK), path
        subprocess.run(["sh", "-n", path], check=True)
    post = read("packaging", "deb", "postinst")
    assert "adduser --system" in post and "/usr/share/edgeline-agent/agent.example.conf" in post
    # The unit's paths are the package's.
    unit = read("systemd", "edgeline-agent.service")
    assert "/usr/bin/edgeline-agent" in unit and "/etc/edgeline/agent.conf" in unit


def test():
    check_compose()
    check_mosquitto_auth()
    check_dockerfile()
    check_systemd()
    check_sd_notify()
    check_packaging()


run_test(test)
