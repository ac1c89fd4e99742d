"""`entraide bench` runs end to end and reports (no timing is asserted here)."""

import json
import subprocess
import sys


def test_bench_reports_json_for_a_quick_scenario():
    done = subprocess.run([sys.executable, "-m", "bot.cli", "bench", "fan-out", "--quick", "--json"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["machine"]["cpus"] >= 1
    (result,) = report["results"]
    assert result["scenario"] == "fan-out" and result["verdict"] in ("ok", "above target")
    assert result["multiple_of_one_call"] > 0
    assert "[bench]" in done.stderr  # progress goes to stderr while it runs


def test_overhead_compares_one_message_per_copy():
    done = subprocess.run([sys.executable, "-m", "bot.cli", "bench", "overhead", "--quick", "--json"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    (result,) = json.loads(done.stdout)["results"]
    assert result["bot_send_calls"] == 7 * 30  # as many sends as the bare loop: nothing merged
    assert result["bare_copies_per_s"] > 0 and result["bot_copies_per_s"] > 0
