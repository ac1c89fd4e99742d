"""`entraide bench detector`: the crisis detector's time per message and the memory it adds.

Run in a child process, so that the memory it reports is the detector's own: resident
memory before the model is loaded, once it is loaded, and after it has scored every
message. Times are wall clock and, beside them, the processor time of the whole process.
Messages are made of ordinary peer-support sentences (80, none repeated in a message) with,
in some, one risky sentence, at about 500 and about 4,096 characters; each is scored as the
relay scores it (`assess`). `--levels` and `--compare` check that two versions of the
detector give the same levels on the training lines.
"""

from __future__ import annotations

import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET = {"p95_500_ms": 20.0, "p95_4096_ms": 60.0, "added_rss_mb": 150.0}

# Ordinary peer-support sentences written for this bench (none from the corpus), French
# first. A message draws them without repeating one, so that a long message repeats words
# the way a real one does (about half its tokens), not whole sentences.
_SENTENCES = [
    "Cette semaine j'ai essayé de planifier mes achats avant d'aller à l'épicerie.",
    "L'ACEF de mon quartier aide gratuitement à faire un budget, je vous le conseille.",
    "Mon fils a commencé l'école, les matins sont encore un peu chaotiques.",
    "J'ai mal dormi, mais j'ai quand même réussi à aller marcher au parc.",
    "On a parlé de nos petits trucs pour dormir mieux, ça m'a fait du bien.",
    "Je suis tannée de l'hiver, vivement le printemps pis les terrasses.",
    "Merci pour vos messages la dernière fois, ça m'a vraiment touchée.",
    "Ma voisine m'a apporté de la soupe aux pois, j'en ai pour trois jours.",
    "Le bus 55 était encore en retard à matin, j'ai attendu vingt minutes au frette.",
    "J'ai enfin pris rendez-vous chez le dentiste après deux ans à repousser ça.",
    "Au travail, mon boss m'a donné un projet de plus sans me demander mon avis.",
    "Je me suis inscrite à un cours de yoga au centre communautaire le jeudi soir.",
    "Ma fille m'a appelée hier, on a jasé presque une heure, ça faisait longtemps.",
    "Quelqu'un connaît une bonne friperie dans Hochelaga pour des bottes d'hiver?",
    "J'ai commencé à écrire trois choses positives chaque soir dans un petit cahier.",
    "Mon chat a décidé que trois heures du matin, c'était l'heure de jouer.",
    "Le groupe de mardi m'aide à voir que je suis pas la seule à trouver ça dur.",
    "J'ai fait une tourtière avec la recette de ma grand-mère, c'était pas mal réussi.",
    "Mon propriétaire veut augmenter le loyer, je vais appeler le comité logement.",
    "Des fois je trouve ça difficile de demander de l'aide, mais j'y travaille.",
    "On est allés aux pommes en fin de semaine avec les enfants de ma sœur.",
    "J'ai recommencé à courir un peu, juste dix minutes, mais c'est un début.",
    "La travailleuse sociale du CLSC m'a donné des numéros utiles pour les impôts.",
    "Je pense changer de pharmacie, celle-là ferme trop tôt pour mon horaire.",
    "Hier soir j'ai regardé un vieux film avec mon chum, on a ri comme des fous.",
    "Mon médecin veut me revoir dans un mois pour ajuster mes médicaments.",
    "Je me sens un peu mieux depuis que je sors prendre l'air chaque midi.",
    "J'ai pas eu le temps de faire mon lavage, ça s'accumule dans le corridor.",
    "Le chauffage marche enfin dans mon appartement, j'ai dormi au chaud.",
    "Ma collègue m'a invitée à dîner, j'ai hésité mais j'ai dit oui.",
    "Je trouve que l'atelier sur la gestion du stress était vraiment bien fait.",
    "Mon garçon a eu une bonne note en français, il était fier de lui.",
    "J'ai recommencé à tricoter, je fais une tuque pour mon neveu.",
    "La banque alimentaire du quartier cherche des bénévoles le samedi matin.",
    "J'ai vidé mes armoires et donné trois sacs de linge à la friperie.",
    "Ça fait du bien de lire vos messages le soir avant de me coucher.",
    "Mon frère déménage à Sherbrooke, je vais l'aider avec le camion samedi.",
    "Je dois remplir des formulaires pour l'aide sociale, c'est tellement long.",
    "J'ai découvert un sentier près de la rivière, parfait pour marcher tranquille.",
    "Ma mère a eu son opération, tout s'est bien passé, on est soulagés.",
    "J'essaie de moins regarder mon téléphone avant de dormir, c'est pas facile.",
    "Le café du coin offre un prix réduit aux étudiants, j'en profite.",
    "Mon conjoint et moi on a fait le ménage du printemps même s'il neige encore.",
    "J'ai appelé la ligne d'écoute une fois juste pour parler, ça m'a aidée.",
    "La bibliothèque prête des laissez-passer pour les musées, c'est génial.",
    "J'ai hâte aux vacances de la construction pour aller au chalet.",
    "Je me suis trompée d'autobus et j'ai fini à Longueuil, j'en ris encore.",
    "Les enfants ont fait un bonhomme de neige géant dans la cour.",
    "I finally called the landlord about the heating and he said he'd come Thursday.",
    "Some days are heavy, but talking here helps more than I expected.",
    "My sister lent me her car so I could get to my appointment.",
    "I started volunteering at the food bank on Saturdays and I really like it.",
    "Work has been busy this month, but my team is kind and that helps.",
    "We tried the new pho place on Sainte-Catherine, the soup was amazing.",
    "I signed up for French classes at the community centre, wish me luck.",
    "My neighbour's dog keeps barking at night, I might buy earplugs.",
    "I cooked a big pot of chili on Sunday so my week would be easier.",
    "Has anyone tried the free tax clinic downtown, is it worth the wait?",
    "My therapist suggested a short walk every morning and I'm trying it.",
    "I fixed my bike this weekend with a video and some patience.",
    "It was my son's birthday, we had cake and played board games all evening.",
    "The group last Tuesday made me feel less alone with all this.",
    "I repainted the kitchen a pale yellow and it feels brighter already.",
    "My roommate and I finally made a cleaning schedule that works.",
    "I found a used winter coat that fits perfectly, and it was cheap.",
    "Thanks to whoever shared that budgeting app, it really helped me.",
    "I have a job interview next week and I'm a bit nervous about it.",
    "I started reading before bed again instead of scrolling.",
    "My grandmother taught me her bread recipe over video call.",
    "The metro was packed this morning, but I got a seat on the way back.",
    "I'm learning to say no at work, one small step at a time.",
    "We had a picnic by the canal even though it was a bit chilly.",
    "My doctor changed my schedule, so I can make it to the evening group now.",
    "I planted some herbs on my balcony, the basil is doing great.",
    "Today I just rested, watched a series and called an old friend.",
    "The library has a knitting circle on Wednesdays, I might go.",
    "My kid lost a tooth and asked if the tooth fairy takes e-transfers.",
    "I went back to the gym after months away and took it easy.",
    "I'm saving a little each week for a trip to the Gaspésie next summer.",
    "Getting out of bed was hard today, but I made it to my appointment.",
]
_RISKY = [
    "Des fois je me dis que tout le monde serait mieux sans moi.",
    "honestly I keep thinking about ending it all tonight",
]


def _message(rng: random.Random, size: int, risky: bool) -> str:
    parts: list[str] = []
    for sentence in rng.sample(_SENTENCES, len(_SENTENCES)):
        if sum(len(p) + 1 for p in parts) >= size:
            break
        parts.append(sentence)
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
            began, began_cpu = time.perf_counter(), time.process_time()
            flagged += crisis.assess(text).at_risk
            times.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)
        out[f"p50_{size}_ms"], out[f"p95_{size}_ms"] = _percentiles(times)
        # The processor time the process used (every thread, BLAS's included): what the
        # wall-clock figures would be on a machine with nothing else to run (this one is shared).
        out[f"cpu_p50_{size}_ms"], out[f"cpu_p95_{size}_ms"] = _percentiles(cpu)
        out[f"messages_{size}"] = count
        out[f"flagged_{size}"] = flagged
    out["added_rss_mb"] = round(_rss_mb() - before, 1)
    return out


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return round(statistics.median(ordered), 1), round(ordered[int(0.95 * (len(ordered) - 1))], 1)


def checks(values: dict) -> dict[str, bool]:
    """Each criterion of the target, named as in bot.bench.runs.TARGETS, and whether it held:
    the times in processor time (on a shared machine the wall clock measures the neighbours;
    the overhead scenario is judged the same way)."""
    return {
        "p95 <= 20 ms at 500": values["cpu_p95_500_ms"] <= TARGET["p95_500_ms"],
        "<= 60 ms at 4096": values["cpu_p95_4096_ms"] <= TARGET["p95_4096_ms"],
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


def levels(folder: Path | None = None) -> list[list]:
    """[file, line, level, score] of every line of the training files (train_*.tsv only: the
    held-out split is never read here), as `assess` sees them; for comparing two versions of
    the detector (`--levels`, then `--compare`)."""
    from bot.services import crisis
    from bot.services.risk import corpus

    crisis.warm_up()
    out = []
    for path in sorted((folder or corpus.CORPUS_DIR).glob("train_*.tsv")):
        for number, line in enumerate(corpus.read(path), start=1):
            found = crisis.assess(line.text)
            out.append([path.name, number, found.level, found.score])
    return out


def compare(before: list[list], after: list[list], tolerance: float = 1e-4) -> list[str]:
    """What differs between two `levels` lists: any level, and any score by more than `tolerance`."""
    if [row[:2] for row in before] != [row[:2] for row in after]:
        return ["the two lists do not cover the same lines"]
    out = []
    for (name, number, level, score), (_, _, new_level, new_score) in zip(before, after, strict=True):
        if level != new_level:
            out.append(f"{name}:{number}: level {level} -> {new_level}")
        elif (score is None) != (new_score is None) or (score is not None and abs(score - new_score) > tolerance):
            out.append(f"{name}:{number}: score {score} -> {new_score}")
    return out


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["--levels"]:  # --levels FILE.json [CORPUS_DIR]: levels on the training lines
        folder = Path(arguments[2]) if len(arguments) > 2 else None
        Path(arguments[1]).write_text(json.dumps(levels(folder)), encoding="utf-8")
    elif arguments[:1] == ["--compare"]:  # --compare BEFORE.json AFTER.json: nothing may differ
        old, new = (json.loads(Path(name).read_text(encoding="utf-8")) for name in arguments[1:3])
        differences = compare(old, new)
        print("\n".join(differences) or f"same levels on all {len(new)} training lines")
        sys.exit(1 if differences else 0)
    else:
        print(json.dumps(child("--quick" in arguments)))
