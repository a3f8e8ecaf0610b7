"""A real Prometheus (Debian's) scraping the real proxy running the rendered prod worker settings
(two workers, a per-instance multiprocess metrics directory, worker recycling; the threshold lowered
so workers recycle during the test) with the rendered dev config: the bundle's alerts and dashboard
evaluated against what it scrapes, the error-rate alert driven by upstream 500s from the fake
provider, request counters that sum over workers, recycling under k6 load that loses nothing, and dead
workers' multiprocess files that do not pile up however many workers recycle (one proxy for all of it:
each start or recycle of a worker is a fresh LiteLLM import, ~15 s of CPU)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from ruamel.yaml import YAML

from litellm_bundle.checks import dashboards
from litellm_bundle.core.facts import LIVENESS_PATH, METRICS_PATH
from litellm_bundle.core.wait import wait_until
from litellm_bundle.core.yamlio import dump_yaml
from litellm_bundle.render import alerts, proxy_args
from litellm_bundle.runtime import k6, launch, local_prometheus, localenv, metrics, processes, sandbox

from .conftest import TREE, Stack, chart_pod, stage_dev

pytestmark = pytest.mark.proxy

SCRAPE = "1s"
ALERT_FOR = "3s"  # the test profile's `for:` (the shipped rules wait minutes)
ALERT_WAIT = 120  # seconds the outage goes on at most while the error-rate alert is watched (firing ends it)
RECYCLE_AFTER = 50  # requests per worker before it recycles (prod renders 10000); about the traffic before k6 starts
RECYCLE_JITTER = 0
# the k6 load's length at 16 req/s: more than 2 * RECYCLE_AFTER requests, so that one of the two workers
# passes its limit during the load whatever it served before (the scrapes before count too)
LOAD_SECONDS = 8
WINDOW = "5m"  # $__rate_interval of the dashboard queries: covers the whole test
ERROR_RATE = "LLMGatewayHighErrorRate"
FAKE_SECRET = "sk-proj-" + "Q1w2E3r4T5y6U7i8O9p0AsDfGhJkL"  # shaped like an OpenAI key: the redaction guardrail acts
# the recycling test: workers recycled while it sends, so that it sees more pids than the 2 * workers the
# directory may hold at once (files left behind by dead workers then fail its bound)
RECYCLES = 3
MOST_REQUESTS = 8 * RECYCLE_AFTER  # its bound on what it sends: RECYCLES recycles take about RECYCLE_AFTER each
SCRAPE_EVERY = 4  # it scrapes after every SCRAPE_EVERY requests
PID_FILE = re.compile(r"^[a-z_]+_([0-9]+)\.db$")
COUNTER = "litellm_proxy_total_requests_metric_total"
# seconds the proxy gets to stop: a worker started by a recycle near the end is still importing LiteLLM and
# handles SIGTERM only once that is done (uvicorn); the test has no more use for it
STOP_GRACE = 3
# the client-visible error rate recycling may cost (docs/operations.md, "Worker recycling"): connections cut
# while a worker shuts down, measured at none or one in about 80 on a quiet machine and up to three in 128 for
# one recycle with the other xdist worker's proxies busy; more means recycling cuts what it should not
CUT_SHARE = 0.05


@dataclass
class Observed:
    stack: Stack
    api: local_prometheus.PrometheusAPI
    multiprocess_dir: Path
    sent: int = 0  # requests sent to /v1/chat/completions and /v1/embeddings
    alert_before_faults: str = "inactive"
    alert_states: list[str] = field(default_factory=list)
    firing: list[dict[str, Any]] = field(default_factory=list)  # the error-rate alert as Prometheus reported it
    load: k6.LoadResult | None = None
    writers_before_load: set[int] = field(default_factory=set)
    writers_after_load: set[int] = field(default_factory=set)


def observed_profile(staged: Path) -> None:
    """The rendered dev config plus two test groups and no retries (an injected fault answers at once):
    `pool` (two deployments; pool-a is cooled down on its first failure) and `flaky` (never cooled
    down, so its 500s keep coming like an upstream outage)."""
    config = YAML(typ="safe").load(staged.read_text())

    def deployment(group: str, model: str, **model_info: Any) -> dict[str, Any]:
        return {
            "model_name": group,
            "model_info": {"id": model, **model_info},
            "litellm_params": {
                "model": f"openai/fake-{model}",
                "api_base": "os.environ/FAKE_PROVIDER_API_BASE",
                "api_key": "os.environ/FAKE_PROVIDER_API_KEY",
            },
        }

    config["model_list"] += [
        deployment("pool", "pool-a", allowed_fails=0),
        deployment("pool", "pool-b"),
        deployment("flaky", "flaky", allowed_fails=10_000),
    ]
    config["router_settings"]["num_retries"] = 0
    staged.write_text(dump_yaml(config))


def prod_workers() -> dict[str, Any]:
    proxy = launch.committed_values(TREE, "prod")["proxy"]
    assert proxy["workers"] == 2 and proxy["maxRequestsBeforeRestart"] > RECYCLE_AFTER
    return {
        "proxy": {**proxy, "maxRequestsBeforeRestart": RECYCLE_AFTER, "maxRequestsBeforeRestartJitter": RECYCLE_JITTER}
    }


@pytest.fixture(scope="module")
def gateway(
    tmp_path_factory: pytest.TempPathFactory, fake_provider: str, redis_server: int
) -> Iterator[tuple[Stack, local_prometheus.PrometheusAPI, Path]]:
    if local_prometheus.binary() is None:
        pytest.skip("prometheus is not installed (apt-get install prometheus)")
    work = tmp_path_factory.mktemp("operations")
    secrets = localenv.local_secrets(fake_provider, redis_server)
    staged = stage_dev(work / "runtime", secrets)
    observed_profile(staged.config)
    # in prod's Deployment sandbox: the multiprocess directory is the chart's emptyDir at the path the chart
    # sets, read back here through the host directory that stands for it
    pod = chart_pod("proxy")
    chart_dir = pod.env["PROMETHEUS_MULTIPROC_DIR"]
    assert pod.writable(chart_dir), f"{chart_dir} is no emptyDir of {pod.workload}"
    options = proxy_args.proxy_options(prod_workers(), Path(chart_dir))
    # INFO: uvicorn's supervisor logs each worker's start and end (test_no_worker_is_killed_before_it_serves)
    env = launch.proxy_env({**secrets, **options.env, "LITELLM_LOG": "INFO"})
    port, prom_port = processes.free_port(), processes.free_port()
    log = work / "proxy.log"
    proxy = launch.start_proxy(
        staged.config,
        port,
        env,
        log,
        workers=options.workers,
        extra_args=options.args,
        pod=pod,
        keep=("LITELLM_LOG",),
        visible=[TREE.root],
    )
    multiprocess_dir = sandbox.host_dir(launch.pod_scratch(log), chart_dir)
    prometheus = None
    try:
        processes.wait_healthy(f"http://127.0.0.1:{port}{LIVENESS_PATH}", 120, proxy, work / "proxy.log")
        files = local_prometheus.write_files(
            work / "prometheus",
            [f"127.0.0.1:{port}"],
            alerts.rules_file(TREE, "dev", duration=ALERT_FOR),
            scrape_interval=SCRAPE,
            evaluation_interval=SCRAPE,
        )
        prometheus = local_prometheus.start(files, prom_port, work / "prometheus.log")
        local_prometheus.wait_ready(prom_port, 30, prometheus, work / "prometheus.log")
        stack = Stack(f"http://127.0.0.1:{port}", secrets["LITELLM_MASTER_KEY"], fake_provider, work / "proxy.log")
        yield stack, local_prometheus.PrometheusAPI(prom_port), multiprocess_dir
    finally:
        if prometheus is not None:
            processes.stop(prometheus)
        processes.stop(proxy, grace=STOP_GRACE)
    outside = sandbox.writes_outside(log.read_text(errors="replace"), pod)
    assert not outside, "\n".join(outside)


def writers(directory: Path) -> set[int]:
    """Pids of the workers that wrote counters into a multiprocess directory."""
    return {
        int(m.group(1)) for f in directory.glob("counter_*.db") if (m := re.fullmatch(r"counter_(\d+)\.db", f.name))
    }


def pids_with_files(directory: Path) -> set[int]:
    """The pids that have files of any kind in a multiprocess directory (the archives have none)."""
    return {int(m.group(1)) for f in directory.iterdir() if (m := PID_FILE.match(f.name))}


def alert_state(api: local_prometheus.PrometheusAPI, name: str) -> tuple[str, list[dict[str, Any]]]:
    """The alert's state and its entries in one answer of the alerts API."""
    found = [a for a in api.alerts() if a["labels"].get("alertname") == name]
    states = {a["state"] for a in found}
    return ("firing" if "firing" in states else ("pending" if "pending" in states else "inactive")), found


class Client:
    def __init__(self, observed: Observed) -> None:
        self.o = observed
        self.http = httpx.Client(
            base_url=observed.stack.url, headers={"Authorization": f"Bearer {observed.stack.key}"}, timeout=60
        )

    def chat(self, model: str, text: str = "hello", headers: dict[str, str] | None = None, **extra: Any) -> int:
        self.o.sent += 1
        body = {"model": model, "messages": [{"role": "user", "content": text}], **extra}
        return self.http.post("/v1/chat/completions", json=body, headers=headers).status_code

    def embed(self) -> int:
        self.o.sent += 1
        return self.http.post("/v1/embeddings", json={"model": "text-embedding", "input": "hello"}).status_code


@pytest.fixture(scope="module")
def observed(
    gateway: tuple[Stack, local_prometheus.PrometheusAPI, Path], tmp_path_factory: pytest.TempPathFactory
) -> Observed:
    """Drive the gateway through every situation the dashboard shows, recording the error-rate alert."""
    stack, api, multiprocess_dir = gateway
    stack.clear()
    o = Observed(stack, api, multiprocess_dir)
    client = Client(o)
    after_a_good_scrape(api)
    # healthy traffic: every model group, streams, embeddings, routing rules, both guardrails
    statuses = [
        client.chat(model, f"hello {i}")
        for i in range(4)
        for model in ("gpt-4o", "gpt-4o-mini", "claude-sonnet", "pool")
    ]
    statuses += [
        client.chat("gpt-4o", "stream please", stream=True, stream_options={"include_usage": True}) for _ in range(3)
    ]
    statuses += [client.embed(), client.embed()]
    statuses.append(
        client.chat(
            "gpt-4o",
            "use a tool",
            tools=[
                {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}
            ],
        )
    )
    statuses.append(client.chat("gpt-4o", "batch job", headers={"x-gateway-tier": "batch"}))
    statuses.append(client.chat("gpt-4o", "my key is " + FAKE_SECRET))  # redacted
    assert set(statuses) == {200}, statuses
    assert client.chat("gpt-4o", "please DROP TABLE users") == 400  # blocked
    time.sleep(2)  # a few evaluations of the rules on healthy traffic
    o.alert_before_faults = alert_state(api, ERROR_RATE)[0]
    # upstream 500s: served by the fallback (gpt-4o -> claude-sonnet), failing when the fallback fails too,
    # cooling a deployment down, and an outage of `flaky` that goes on while the alert is watched
    stack.faults({"fake-gpt-4o": {"status": 500, "times": 2}})
    assert [client.chat("gpt-4o", f"fallback {i}") for i in range(2)] == [200, 200]
    stack.faults(
        {
            "fake-gpt-4o": {"status": 500, "times": 1},
            "fake-claude-sonnet": {"status": 500, "times": 1},
            "fake-pool-a": {"status": 500},
            "fake-flaky": {"status": 500},
        }
    )
    assert client.chat("gpt-4o", "the fallback fails too") == 500
    pool = [client.chat("pool", f"pool {i}") for i in range(12)]
    assert 500 in pool and pool[-3:] == [200, 200, 200], pool  # pool-a failed, was cooled down, pool-b serves
    # bounded by ALERT_WAIT, not a timing claim: on a busy machine (the other xdist worker's proxies) each
    # round (a request, the alerts API) takes seconds, and Prometheus' own evaluations run late too
    deadline = time.monotonic() + ALERT_WAIT
    while time.monotonic() < deadline and (not o.alert_states or o.alert_states[-1] != "firing"):
        assert client.chat("flaky", "still down?") == 500
        state, o.firing = alert_state(api, ERROR_RATE)
        o.alert_states.append(state)
        time.sleep(0.5)
    # rate limited: the provider answers 429 (claude-sonnet has no fallback)
    stack.faults({"fake-claude-sonnet": {"status": 429, "retry_after": 1, "times": 2}})
    assert [client.chat("claude-sonnet", f"limited {i}") for i in range(2)] == [429, 429]
    stack.clear()
    # worker recycling under load: k6 at a constant rate while both workers pass their request limit
    o.writers_before_load = writers(multiprocess_dir)
    o.load = k6.run(
        TREE,
        stack.url,
        stack.key,
        rate=16,
        duration=f"{LOAD_SECONDS}s",
        summary=tmp_path_factory.mktemp("k6") / "summary.json",
        model="gpt-4o-mini",
        graceful_stop="120s",  # a stalled request finishes and is in the summary, as the gateway counts it
    )
    o.sent += o.load.requests - o.load.cut  # a cut connection never reached LiteLLM
    o.writers_after_load = writers(multiprocess_dir)
    # while workers restart a scrape can time out (the target is down for that scrape, gauges go stale):
    # the checks read the gateway once it is scraped again
    after_a_good_scrape(api)
    time.sleep(2)  # two more scrapes
    after_a_good_scrape(api)
    # a worker that recycled at the end of the load took its gauges (deployment state, remaining requests)
    # with it and its successor has served nothing yet: a little traffic, as a live gateway always has,
    # until the dashboard's queries answer (a query naming a metric that does not exist never does: the
    # test below then fails after the deadline)
    dashboard_answers(o, client)
    return o


def dashboard_answers(o: Observed, client: Client, timeout: float = 30) -> list[str]:
    """The dashboard queries and alert signals still empty after sending a little traffic for up to `timeout` seconds,
    as a live gateway always has: a worker that recycled took its gauges with it, and its successor has none until it
    serves (a query naming a metric that does not exist never answers)."""
    deadline = time.monotonic() + timeout
    while (empty := empty_queries(o.api)) and time.monotonic() < deadline:
        assert client.chat("gpt-4o-mini", "keep the gauges alive") == 200
        time.sleep(1.5)  # a scrape or so
    return empty


def empty_queries(api: local_prometheus.PrometheusAPI) -> list[str]:
    """Every dashboard query and alert signal that returns no series."""
    empty = []
    for query in dashboards.queries(TREE):
        if not api.query(dashboards.concrete(query.expr, alerts.LOCAL_JOB, WINDOW)):
            empty.append(f"dashboard panel '{query.panel}' {query.ref}: {query.expr}")
    for alert in alerts.load(TREE):
        if alert.needs is None and not api.query(alerts.signal(alert, alerts.LOCAL)):
            empty.append(f"alert {alert.name}: {alert.signal}")
    return empty


def after_a_good_scrape(api: local_prometheus.PrometheusAPI) -> list[dict[str, Any]]:
    """The targets once the last scrape succeeded. Workers keep recycling through this module (every request counts
    towards RECYCLE_AFTER, Prometheus' scrapes too), and a scrape that meets a worker restarting fails and marks every
    series stale until the next one: a test that reads Prometheus waits for a good scrape first (bounded)."""
    return wait_until(
        lambda: (t := api.targets()) and all(x["health"] == "up" for x in t) and t,
        60,
        what="a successful scrape of the proxy",
    )


def test_prometheus_scrapes_the_proxy_with_the_bundles_rules(observed: Observed) -> None:
    targets = after_a_good_scrape(observed.api)
    assert [t["labels"]["job"] for t in targets] == [alerts.LOCAL_JOB]
    assert targets[0]["scrapeUrl"].endswith(METRICS_PATH) and targets[0]["health"] == "up"
    loaded = {r["name"] for r in observed.api.rules()}
    local = {r.get("alert", r.get("record")) for g in alerts.groups(TREE, alerts.LOCAL, "dev") for r in g["rules"]}
    assert loaded == local  # the threshold alerts and dev's SLO rules (Sloth's recordings and burn-rate alerts)
    assert {a.name for a in alerts.load(TREE) if a.needs is None} <= loaded


def test_upstream_500s_make_the_error_rate_alert_pending_then_firing(observed: Observed) -> None:
    assert observed.alert_before_faults == "inactive"
    assert observed.alert_states[-1] == "firing", observed.alert_states
    alert = observed.firing[0]  # firing means it was pending for `for:` first (since activeAt)
    assert alert["activeAt"], alert
    assert (
        alert["state"] == "firing"
        and alert["labels"]["severity"] == "critical"
        and alert["labels"]["environment"] == "dev"
    )
    assert float(alert["value"]) > alerts.chart_thresholds(TREE)["errorRatePercent"]


def test_every_dashboard_and_alert_expression_returns_series(observed: Observed) -> None:
    after_a_good_scrape(observed.api)
    empty = dashboard_answers(
        observed, Client(observed)
    )  # workers recycle through the module (see after_a_good_scrape)
    assert empty == [], "\n".join(empty)


def test_a_query_naming_a_metric_that_does_not_exist_returns_nothing(observed: Observed) -> None:
    """What the test above would catch: a typo in a metric name yields no series (not an error)."""
    after_a_good_scrape(observed.api)
    job = f'job="{alerts.LOCAL_JOB}"'
    assert observed.api.query(f"sum(rate(litellm_proxy_total_request_metric_total{{{job}}}[1m]))") == []
    assert observed.api.query(f"sum(rate(litellm_proxy_total_requests_metric_total{{{job}}}[1m]))")


def test_request_counters_sum_over_workers_to_the_requests_sent(observed: Observed) -> None:
    # the recycled workers' samples were folded into the per-instance directory's archive (the hooks'
    # metrics_files), the live workers' are their own: the totals count both
    assert (observed.multiprocess_dir / "counter_archive.db").exists(), "no recycled worker's counters were folded"
    text = httpx.get(f"{observed.stack.url}{METRICS_PATH}", timeout=10).text
    scraped = metrics.total(text, COUNTER)
    assert scraped == observed.sent
    after_a_good_scrape(observed.api)
    in_prometheus = observed.api.query(f'sum({COUNTER}{{job="{alerts.LOCAL_JOB}"}})')
    assert float(in_prometheus[0]["value"][1]) == observed.sent


def test_worker_recycling_under_k6_load_answers_every_request_it_reads(observed: Observed) -> None:
    """Recycling never fails a request the gateway has read: no error status, no broken stream. What it
    can lose is a connection: uvicorn closes the connections a recycling worker has accepted but not
    read yet (docs/operations.md); a few per recycle (CUT_SHARE of the requests at most), and a retrying client
    never sees them."""
    load = observed.load
    assert load is not None
    assert load.requests >= 60 and load.streamed > 0, load.output
    # a worker was replaced while k6 was sending: it wrote counters under a new pid, an old one is gone
    replaced_during_load = observed.writers_after_load - observed.writers_before_load
    assert replaced_during_load, "no worker recycled during the load"
    assert [pid for pid in observed.writers_before_load if not psutil.pid_exists(pid)]
    assert load.failed == load.cut, f"a request failed with an HTTP error, not a cut connection:\n{load.output}"
    assert load.checks_failed == 2 * load.cut, load.output  # a cut request fails both checks, nothing else does
    assert load.cut <= CUT_SHARE * load.requests, f"more cut connections than documented:\n{load.output}"


def answered(client: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """The answer, the request sent again when a recycling worker cut its connection before reading it
    (uvicorn's, docs/operations.md: the request never reached LiteLLM), as a retrying client does."""
    for _ in range(4):
        try:
            return client.request(method, path, **kwargs)
        except httpx.TransportError:
            continue
    return client.request(method, path, **kwargs)


def test_recycled_workers_leave_no_files_and_the_counters_keep_counting(observed: Observed) -> None:
    """Dead workers' multiprocess files are folded (docs/operations.md): one client sends requests and scrapes
    in turn until a worker recycled while it sends and RECYCLES workers recycled in the module (the k6 load's
    recycles count: each recycle is a fresh LiteLLM import, ~10 s of CPU). After every scrape the directory
    holds the files of the live workers and of those dead since the fold only, and the request counter is
    the previous one or more, ending at the requests sent."""
    workers = prod_workers()["proxy"]["workers"]
    directory = observed.multiprocess_dir
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    at_start = observed.writers_before_load | observed.writers_after_load | pids_with_files(directory)
    seen: set[int] = set(at_start)  # every worker of the module that wrote metrics
    most, totals = 0, [0.0]
    auth = {"Authorization": f"Bearer {observed.stack.key}"}
    with httpx.Client(base_url=observed.stack.url, headers=auth, timeout=120) as client:

        def scrape() -> float:
            nonlocal most
            text = answered(client, "GET", METRICS_PATH).text  # the dead workers' files are folded first
            totals.append(metrics.total(text, COUNTER))
            now = pids_with_files(directory)
            seen.update(now)
            most = max(most, len(now))
            return totals[-1]

        sent = 0
        while (len(seen) < workers + RECYCLES or not seen - at_start) and sent < MOST_REQUESTS:
            assert answered(client, "POST", "/v1/chat/completions", json=body).status_code == 200
            sent += 1
            observed.sent += 1
            if sent % SCRAPE_EVERY == 0:
                scrape()
        wait_until(lambda: scrape() == observed.sent, 60, what=f"{observed.sent} requests counted")
    assert seen - at_start, f"no worker recycled in {sent} requests"
    assert len(seen) >= workers + RECYCLES > 2 * workers, f"too few recycles in {sent} requests: {sorted(seen)}"
    assert most <= 2 * workers, f"{most} pids had files: the live workers and at most those dead since the fold"
    assert totals == sorted(totals), totals
    assert (directory / "counter_archive.db").exists()


def test_no_worker_is_killed_before_it_serves(observed: Observed) -> None:
    """uvicorn's supervisor kills a worker that does not answer its health check in time, and a new worker
    answers only once it has imported LiteLLM (seconds of CPU). With uvicorn's 5 s default, on this machine
    with the other xdist worker busy, about every second recycle started a worker that was killed before it
    served, and again, each attempt costing the import and 5.5 s (docs/operations.md, "Worker recycling").
    With the chart's --timeout_worker_healthcheck every worker that ended had started its server."""
    text = observed.stack.log.read_text(errors="replace")
    started = set(re.findall(r"Started server process \[(\d+)\]", text))
    ended = re.findall(r"Child process \[(\d+)\] died", text)
    assert ended, "no worker ended in the module: the recycling tests above did not run"
    killed = [pid for pid in ended if pid not in started]
    assert not killed, f"workers killed before they started their server: {killed}"
