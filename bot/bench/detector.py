"""`entraide bench detector`: the crisis detector's time per message and the memory it adds.

Run in a child process, so that the memory it reports is the detector's own: resident
memory before the model is loaded, once it is loaded, and after it has scored every
message. Times are wall clock and, beside them, the processor time of the scoring thread. Messages are
made of ordinary peer-support sentences with, in some, one risky sentence, at about 500
and about 4,096 characters; each is scored as the relay scores it (`assess`).
"""

from __future__ import annotations

import json
import random
import resource
import statistics
import subprocess
import sys
import time

TARGET = {"p95_500_ms": 20.0, "p95_4096_ms": 60.0, "added_rss_mb": 150.0}

_SENTENCES = [
    "Cette semaine j'ai essayé de planifier mes achats avant d'aller à l'épicerie.",
    "L'ACEF de mon quartier aide gratuitement à faire un budget, je vous le conseille.",
    "Mon fils a commencé l'école, les matins sont encore un peu chaotiques.",
    "J'ai mal dormi, mais j'ai quand même réussi à aller marcher au parc.",
    "I finally called the landlord about the heating and he said he'd come Thursday.",
    "Some days are heavy, but talking here helps more than I expected.",
    "On a parlé de nos petits trucs pour dormir mieux, ça m'a fait du bien.",
    "Je suis tannée de l'hiver, vivement le printemps pis les terrasses.",
    "My sister lent me her car so I could get to my appointment.",
    "Merci pour vos messages la dernière fois, ça m'a vraiment touchée.",
]
_RISKY = [
    "Des fois je me dis que tout le monde serait mieux sans moi.",
    "honestly I keep thinking about ending it all tonight",
]


def _message(rng: random.Random, size: int, risky: bool) -> str:
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < size:
        parts.append(rng.choice(_SENTENCES))
    if risky:
        parts[rng.randrange(len(parts))] = rng.choice(_RISKY)
    return " ".join(parts)[:size]


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(quick: bool) -> dict:
    """Measure in this process (called through `python -m bot.bench.detector`)."""
    from bot.services import crisis

    before = _rss_mb()
    started = time.perf_counter()
    crisis.warm_up()
    load_s = time.perf_counter() - started
    rng = random.Random(20261201)
    out: dict[str, float | int] = {"load_s": round(load_s, 2), "loaded_rss_mb": round(_rss_mb() - before, 1)}
    for size, count in ((500, 60 if quick else 300), (4096, 15 if quick else 80)):
        times, cpu = [], []
        flagged = 0
        for i in range(count):
            text = _message(rng, size, risky=i % 5 == 0)
            began, began_cpu = time.perf_counter(), time.thread_time()
            flagged += crisis.assess(text).at_risk
            times.append((time.perf_counter() - began) * 1000)
            cpu.append((time.thread_time() - began_cpu) * 1000)
        out[f"p50_{size}_ms"], out[f"p95_{size}_ms"] = _percentiles(times)
        # The processor time the detector itself used: what the wall-clock figures would be
        # on a machine with nothing else to run (this one is shared).
        out[f"cpu_p50_{size}_ms"], out[f"cpu_p95_{size}_ms"] = _percentiles(cpu)
        out[f"messages_{size}"] = count
        out[f"flagged_{size}"] = flagged
    out["added_rss_mb"] = round(_rss_mb() - before, 1)
    return out


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return round(statistics.median(ordered), 1), round(ordered[int(0.95 * (len(ordered) - 1))], 1)


def checks(values: dict) -> dict[str, bool]:
    """Each criterion of the target, named as in bot.bench.runs.TARGETS, and whether it held."""
    return {
        "p95 <= 20 ms at 500": values["p95_500_ms"] <= TARGET["p95_500_ms"],
        "<= 60 ms at 4096": values["p95_4096_ms"] <= TARGET["p95_4096_ms"],
        "<= 150 MB": values["added_rss_mb"] <= TARGET["added_rss_mb"],
    }


def measure(quick: bool) -> dict:
    """Run the child and read its figures."""
    result = subprocess.run(
        [sys.executable, "-m", "bot.bench.detector", *(["--quick"] if quick else [])],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "child failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    print(json.dumps(child("--quick" in sys.argv[1:])))
