"""Detects words that suggest a risk to someone's own life, in Quebec French and English.

A pure function: `assess(text)` normalises the text (case, accents, elisions, SMS and
Quebec spellings) and matches expressions of suicidal thoughts, plans and self-harm,
while leaving everyday look-alikes alone (« mort de rire », « ça me tue », « en finir
avec mes dettes », "this is killing me", "I'm dead lol"). It never decides anything by
itself: a match only makes the bot hold the message and privately offer resources.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'", "œ": "oe", "æ": "ae",
                              "Œ": "oe", "Æ": "ae"})

# Whole-word rewrites applied after accents and punctuation are gone (order matters).
_SMS = [
    # French / Quebec
    (r"\bj ?veu[xt]?\b", "je veux"), (r"\bjve\b", "je veux"), (r"\bjvais\b", "je vais"),
    (r"\bjva\b", "je vais"), (r"\bjvai\b", "je vais"), (r"\bchu\b", "je suis"), (r"\bchui\b", "je suis"),
    (r"\bshu\b", "je suis"), (r"\bjsuis\b", "je suis"), (r"\bjsui\b", "je suis"), (r"\bjss\b", "je suis"),
    (r"\bjme\b", "je me"), (r"\bjmen\b", "je me en"), (r"\bjai\b", "je ai"), (r"\bjpense\b", "je pense"),
    (r"\bjpeux\b", "je peux"), (r"\bjpeu\b", "je peux"), (r"\bjsais\b", "je sais"),
    (r"\bmtuer\b", "me tuer"), (r"\bmsuicider\b", "me suicider"), (r"\bmenlever\b", "me enlever"),
    (r"\bpu\b", "plus"), (r"\bpus\b", "plus"), (r"\bpk\b", "pourquoi"), (r"\bpcq?\b", "parce que"),
    (r"\bmourrir\b", "mourir"), (r"\bmourire\b", "mourir"), (r"\bvivres?\b", "vivre"),
    (r"\bsuiside\b", "suicide"), (r"\bsuicidr\b", "suicider"), (r"\bslm\b", "seulement"),
    (r"\bveu\b", "veux"), (r"\bvx\b", "veux"), (r"\bvoudrai\b", "voudrais"), (r"\bptete\b", "peut etre"),
    (r"\bkk\b", "quelque"), (r"\bajd\b", "aujourd hui"), (r"\bcsoir\b", "ce soir"), (r"\bstsoir\b", "ce soir"),
    (r"\bici bas\b", "ici"),
    # English
    (r"\bi ?m\b", "i am"), (r"\bima\b", "i am going to"), (r"\bimma\b", "i am going to"),
    (r"\bwanna\b", "want to"), (r"\bgonna\b", "going to"), (r"\bgunna\b", "going to"),
    (r"\bdont\b", "do not"), (r"\bdon t\b", "do not"), (r"\bcant\b", "can not"), (r"\bcan t\b", "can not"),
    (r"\bcannot\b", "can not"), (r"\bwont\b", "will not"), (r"\bwon t\b", "will not"),
    (r"\bu\b", "you"), (r"\bur\b", "your"), (r"\bkms\b", "kill myself"), (r"\bkmsl\b", "kill myself"),
    (r"\bunalive( myself)?\b", "kill myself"), (r"\bunaliving\b", "killing"), (r"\bsewerslide\b", "suicide"),
    (r"\bsuicde\b", "suicide"), (r"\bmyslef\b", "myself"), (r"\bmy self\b", "myself"),
    (r"\bive\b", "i have"), (r"\bi ve\b", "i have"), (r"\bid\b", "i would"), (r"\bi d\b", "i would"),
    (r"\bthats\b", "that is"), (r"\b(what|that|it|there|he|she|who) s\b", r"\1 is"), (r"\bwhats\b", "what is"), (r"\bits\b", "it is"), (r"\bwouldnt\b", "would not"),
    (r"\bdidnt\b", "did not"), (r"\bdoesnt\b", "does not"), (r"\bnobody d\b", "nobody would"),
    (r"\bi ll\b", "i will"), (r"\bill\b(?= (kill|end|take|hurt|cut|jump|hang|do it|never|not be))", "i will"),
    (r"\btmrw\b", "tomorrow"), (r"\btn\b", "tonight"), (r"\b2nite\b", "tonight"), (r"\bcuz\b", "because"),
]
_SMS_COMPILED = [(re.compile(p), r) for p, r in _SMS]

_ELISION = re.compile(r"\b(j|m|t|l|d|s|n|qu|c)'")

# Expressions of risk (normalised text). Each one is specific on purpose: a bare
# « mourir », « tuer » or "dead" is everyday speech far more often than not.
_RISK_FR = [
    r"\bme (suicider|suicide|suicidee?)\b",
    r"\b(idees?|pensees?) (suicidaires?|de suicide|noires?|de mort|de me tuer)\b",
    r"\bje suis suicidaire\b", r"\b(pense|songe|pensais|songeais|pensee) (au|a me) suicid",
    r"\btentative de suicide\b.*\b(encore|recommencer|refaire|prochaine)\b",
    r"\b(je|jai|j ai|envie de|besoin de|pense a|penser a|songe a|vais|veux|voudrais|devrais|pourrais|finir par|decide de|planifie de|prevois de) (me )?(me tuer|m enlever la vie|me enlever la vie|m oter la vie|me oter la vie)\b",
    r"\b(me enlever|m enlever|me oter|m oter|mettre fin a|en finir avec) (la|ma) vie\b",
    r"\b(le|du) gout de (mourir|en finir|crever|me tuer|disparaitre)\b", r"\b(plus|pas|perdu) (le|du) gout de vivre\b(?! (ca|cela|comme ca|de meme|en|a))",
    r"\bpersonne (va se ennuyer|ne va se ennuyer|se ennuierait|se ennuiera) de moi\b",
    r"\bmettre fin a mes jours\b", r"\ben finir avec (tout|moi|mes jours)\b",
    r"\b(veux|voudrais|envie d|envie de|besoin d|besoin de|vais|faut que je|dois) en finir\b(?! avec (mes|les|ces|mon|ma|ce|cette|le|la|l|un|une|des|son|sa|ses|ton|ta|tes)\b(?! vie\b))",
    r"\ben finir une fois pour toutes\b(?! avec (mes|les|ces|mon|ma|ce|cette|le|la|un|une|des)\b)",
    r"\b(veux|voudrais|veut|aimerais|souhaite|prefere|prefererais|envie de|hate de|pret a|prete a|merite de) mourir\b(?! de (rire|faim|soif|chaleur|froid|honte|fatigue|peur|ennui|jalousie|envie|curiosite))",
    r"\b(laisser|laisse|laissez) (moi )?mourir\b",
    r"\b(veux|voudrais|envie de) (crever|disparaitre pour (toujours|de bon))\b(?! (de|d|le|l|la|les|un|une|des|mon|ma|mes) )",
    r"\bveux (plus|plus jamais) vivre\b", r"\bje veux pas vivre\s*$", r"\bveux pas vivre (plus longtemps|une journee de plus|un jour de plus|demain)\b",
    r"\b(plus|pas|aucune) (envie|raison|raisons) de vivre\b", r"\ba quoi bon vivre\b",
    r"\b(la vie|vivre) (vaut|vaut plus|vaut pas|ne vaut pas|ne vaut plus) (pas )?la peine\b",
    r"\bsert a rien de vivre\b", r"\bplus la force de vivre\b", r"\bfatigue(e)? de vivre\b",
    r"\b(plus|pas) (envie|le gout) d etre (la|en vie|ici)\b", r"\b(plus|pas) envie d exister\b",
    r"\b(tout le monde|ils|vous|ma famille|mes enfants|les autres) (serai(en)?t|sera|seront|serais) mieux sans moi\b",
    r"\bmieux (mort|morte|six pieds sous terre)\b", r"\b(je serais|serait) mieux (mort|morte)\b",
    r"\b(ne plus|plus jamais|jamais) me reveiller\b", r"\bdormir pour toujours\b",
    r"\b(me|m) (pendre|tirer une balle|tirer dessus|immoler|ouvrir les veines|couper les veines|taillader les veines)\b",
    r"\b(me|m) noyer\b(?! dans (la|le|les|mes|mon|ma) (paperasse|travail|dettes|factures|boulot|ouvrage|devoirs|courriels|larmes|bureaucratie))",
    r"\b(sauter|me jeter|me lancer|me sacrer|me garrocher) (en bas|du haut|d un|du|devant|sous)\b.*\b(pont|toit|balcon|edifice|immeuble|falaise|metro|train|camion|char|auto|voiture|fenetre)\b",
    r"\b(avaler|prendre) (tous|toutes) mes (pilules|medicaments|medocs|comprimes|pills)\b",
    r"\b(surdose|overdose)\b(?! (de (sucre|chocolat|cafe|travail|info|informations)|d (info|informations)))",
    r"\b(me|m) (faire du mal|blesser expres|blesser volontairement|mutiler|scarifier|bruler expres)\b",
    r"\b(je me|recommencer a me|recommence a me|envie de me|besoin de me|arrete pas de me) (coupe|couper|scarifie|scarifier|mutile|mutiler)\b(?! (les|mes|la|le|une|un|du|des) (cheveux|ongles|frange|barbe|doigts?|pain|legumes|viande|tranche|morceau|parole))",
    r"\b(scarification|automutilation)\b",
    r"\blettre d adieu\b", r"\bdire adieu (a tout le monde|pour de bon|pour toujours)\b",
    r"\b(achete|trouve|prepare) (une|la) corde\b(?! a (linge|danser|sauter))", r"\bplus la pour (longtemps|personne)\b",
    r"\bje (serai|serais) plus la demain\b", r"\bc est (ma|mon) (derniere|dernier) (soir|soiree|nuit|message|journee)\b",
    r"\bdisparaitre (pour toujours|pour de bon|a jamais)\b",
]
_RISK_EN = [
    r"\b(kill|killing|kil|killin) (myself|my self)\b(?! (laughing|lol|haha))",
    r"\bif i (killed|kill|ended) (myself|my life|it all)\b",
    r"\b(end|ending|take|taking|take away) my (own )?life\b", r"\bend it all\b", r"\bend my (own )?life\b",
    r"\b(i am|feeling|feel|been|being) (so |really |very )?suicidal\b", r"\bsuicidal (thoughts|ideation|again|tonight)\b",
    r"\b(thinking|thought|think) (about|of) (suicide|killing myself|ending it|ending my life|dying)\b",
    r"\bcommit(ting)? suicide\b", r"\bsuicide (note|letter|plan)\b",
    r"\b(?<!not )(?<!never )(want|wanted|wish|going|ready|deserve|need|would like|like) to (just )?die\b(?! (of|from|laughing|for|than))",
    r"\bi (just )?want to (die|disappear forever|not exist|stop existing)\b(?! (laughing|of|from|than))",
    r"\bwish i (was|were|had been) (dead|never born)\b", r"\bbetter off (dead|without me)\b",
    r"\b(do not|no longer|not) want to (live|be alive|exist|be here anymore|wake up|go on)\b(?! (in|with|like|near|there|here|at))",
    r"\b(no|any) (reason|reasons|point) (to live|in living|living)\b", r"\bnot worth living\b",
    r"\b(can not|could not|ca not) go on\b(?! (with (this|the|my|our|that) (project|job|trip|show|plan|meeting)))",
    r"\b(cut|cutting|cuts|burn|burning|hurt|hurting|harm|harming) myself\b(?! (on|while|by accident|accidentally|shaving|cooking|playing|at|during|in|skating|running|working|lifting|moving))",
    r"\bself (harm|harming|injury)\b", r"\bself harm\b",
    r"\b(hang|hanging|drown|drowning|shoot|shooting|poison|poisoning|starve|starving) myself\b",
    r"\bslit (my )?wrists?\b", r"\bjump (off|from|in front of) (a|the|this) (bridge|roof|building|train|balcony|cliff|subway)\b",
    r"\b(overdose|od) (on|tonight|again)\b", r"\b(take|taking|swallow|swallowing) all (my|the|of my) (pills|meds|medication)\b",
    r"\b(never|not) wake up\b(?! (early|on time|in time|before|till|until))", r"\bsleep forever\b",
    r"\b(will not|not going to|wo not) be (here|around|alive) (tomorrow|much longer|anymore|by morning)\b(?! (i have|i am|because|for|at|i got|i will|see you))",
    r"\b(goodbye|good bye) (forever|world|everyone for good)\b", r"\bsay(ing)? goodbye (to everyone|for good|forever)\b",
    r"\b(everyone|they|people|my family|my kids|the world) (would be|will be|is) better (off )?without me\b",
    r"\b(bought|got|found|have) (a|the) rope\b", r"\bwrote (my|a) (goodbye|suicide) (note|letter)\b",
    r"\bdisappear forever\b", r"\bdo not want to be alive\b", r"\btired of (living|being alive|life itself)\b",
    r"\bwhat is the point of (living|being alive|life)\b", r"\bready to (end|go) (it|for good)\b(?! (with|at))",
]
_RISK = [re.compile(p) for p in _RISK_FR + _RISK_EN]

# Phrases that look like risk and are not, removed before matching.
_LOOKALIKES = [
    r"\bmort(e)?s? de (rire|fatigue|faim|peur|honte|froid|chaleur|ennui)\b", r"\bca me tue\b",
    r"\b(tu|il|elle|ma mere|mon pere|mon boss|ma blonde|mon chum|ma femme|mon mari|le prof|la prof|ma soeur|mon frere) (va|vont|allait|vas) me tuer\b",
    r"\b(my|the) (mom|mother|dad|father|boss|wife|husband|teacher|sister|brother|girlfriend|boyfriend|coach) (is going to|will|would|gonna|going to) kill me\b",
    r"\b\w+ (is|are|was|were|keeps|keep) killing me\b",
    r"\bkill me (now|lol|haha)\b(?= ?(lol|haha|xd|\W|$))", r"\b(dying|died|dead) (of|from) (laughter|laughing|embarrassment|boredom|cringe)\b",
    r"\bi am (so |literally )?dead( lol| haha| xd)\b", r"\bim dead\b", r"\b(dying|die) to (see|know|try|meet|go)\b",
    r"\bkill (time|it|the lights|the engine|the vibe)\b", r"\bprevention (du|of) suicide\b",
    r"\b(film|movie|livre|book|serie|show|chanson|song|documentaire|documentary|article|cours|class) (sur|about) (le )?suicide\b",
]
_LOOKALIKES_COMPILED = [re.compile(p) for p in _LOOKALIKES]


def normalize(text: str) -> str:
    """Lower case, no accents, elisions expanded, SMS spellings spelled out, one space."""
    text = text.translate(_APOSTROPHES).lower()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _ELISION.sub(lambda m: {"j": "je ", "m": "me ", "t": "te ", "l": "l ", "d": "d ",
                                     "s": "se ", "n": "ne ", "qu": "que ", "c": "c "}[m.group(1)], text)
    text = re.sub(r"(.)\1{2,}", r"\1", text)  # « veuuuux » -> « veux »
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    for pattern, replacement in _SMS_COMPILED:
        text = pattern.sub(replacement, text)
    # Quebec French drops « ne »: « je veux plus » and « je ne veux plus » read the same.
    text = re.sub(r"\bne (?=(veux|vais|peux|suis|sais|vois|vaut|sert|merite|ai)\b)", "", text)
    text = re.sub(r"\bje ai\b", "j ai", text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class Assessment:
    at_risk: bool
    matched: str | None = None  # the pattern, for tests only; never logged with the text


def assess(text: str | None) -> Assessment:
    """Does this message suggest a risk to the writer's life?"""
    if not text:
        return Assessment(False)
    normalized = normalize(text)
    for pattern in _LOOKALIKES_COMPILED:
        normalized = pattern.sub(" ", normalized)
    normalized = re.sub(r"\s+", " ", normalized).strip()
    for pattern in _RISK:
        if pattern.search(normalized):
            return Assessment(True, pattern.pattern)
    return Assessment(False)
