"""The guaranteed net: a short list of explicit first-person expressions of risk.

Rules are matched on lemmas (« je voudrais mourir », « jveux mourir » and « je veux
mourir » all read « je vouloir mourir »), after everyday look-alikes are removed
(« mort de rire », « ça me tue », "dying to see it"). They never fire on a bare word:
« suicide » alone is prevention talk and news far more often than a risk. A rule that
fires means a hold; everything subtler is left to the semantic layer.
"""

from __future__ import annotations

import re

from bot.services.risk.normalize import any_of, lemmas, normalize
from bot.services.risk.sentences import sentences

# Up to three words in between the parts of an expression (« je veux vraiment juste mourir »),
# none of them a negation (« je veux pas mourir », "I don't want to die" are not a wish to die).
GAP = r"(?: (?!pas\b|not\b|never\b|jamais\b|point\b|aucunement\b|don\b|dont\b)\w+){0,3}"

# The writer speaks of themself: « je », « j' » shortly before (« moi j'ai envie de… »).
I = r"\b(?:je|j)(?: \w+){0,4} "

# A sentence about the past that says it is over is left to the semantic layer
# (« il y a cinq ans je voulais mourir, aujourd'hui ça va »): rules only speak of now.
_PAST = re.compile(
    r"\b(il y a|ya|y a) (\w+ )?(ans?|annees?|mois|longtemps)\b|\bquand j etais\b|\ba l epoque\b|"
    r"\bdans le temps\b|\ben (19|20)\d\d\b|\bau debut de ma\b|"
    r"\b(years?|months?) ago\b|\bused to\b|\bwhen i was\b|\blast (winter|summer|spring|fall|year)\b|"
    r"\bin (19|20)\d\d\b|\bsince (19|20)\d\d\b|\bback then\b|\bquand (j avais|je suis arrive)\b|\ba \d+ ans\b|"
    r"\bavant je\b|\bj ai longtemps\b|\bune epoque\b|\bj ai deja (ete|pense|cru|eu|voulu)\b|\bi had suicidal\b|"
    r"\bsince i last\b|\bthoughts anymore\b|\bgo there anymore\b|\bca fait \w+ ans\b|\bau cegep\b|"
    r"\bdays without\b|\bnot long ago\b|\bi haven t had\b|\bmes annees\b|\bj etais convaincue?\b"
)

_LOOKALIKES = [
    r"\bmort(e)?s? de (rire|fatigue|faim|peur|honte|froid|chaleur|ennui)\b",
    r"\bca me tue\b",
    r"\b(tu|il|elle|ils|ma mere|mon pere|mon boss|ma blonde|mon chum|ma femme|mon mari|le prof|la prof|"
    r"ma soeur|mon frere) (va|vont|allait|vas) me tuer\b",
    r"\b(my|the|his|her) (mom|mother|dad|father|boss|wife|husband|teacher|sister|brother|girlfriend|"
    r"boyfriend|coach) (is going to|will|would|going to) kill me\b",
    r"\b\w+ (is|are|was|were|keeps|keep) killing me\b",
    r"\bkill me (now )?(lol|haha|xd)\b",
    r"\b(dying|died|dead) (of|from) (laughter|laughing|embarrassment|boredom|cringe)\b",
    r"\bi am (so |literally )?dead (lol|haha|xd)\b",
    r"\b(dying|die) to (see|know|try|meet|go|hear|get)\b",
    r"\bkill (time|it|the lights|the engine|the vibe|for a)\b",
    r"\bprevention (du|of) suicide\b",
    r"\btuer le temps\b",
    r"\ben finir avec (mes|les|ces|mon|ma|ce|cette|le|la|un|une|des) (?!vie\b)\w+",
]
_LOOKALIKES_RE = [re.compile(p) for p in _LOOKALIKES]
# One search says whether any look-alike is there at all (most sentences hold none); when one
# is, they are removed one after the other as before.
_LOOKALIKES_ANY = any_of(_LOOKALIKES)
_SPACES = re.compile(r"\s+")

# On French lemmas. « me » is kept as is; verbs are infinitives.
_FR = [
    rf"{I}(vouloir|aller|(?:penser|songer|rever)(?: \w+){{0,2}} a|envie(?: \w+){{0,2}} de|besoin de|devoir|finir par|decider de|planifier de|prevoir de|"
    rf"essayer de|tenter de|avoir le gout de|etre prete? a|falloir que je){GAP} (me suicider|me tuer|me enlever la vie|"
    rf"me oter la vie|mettre fin a mes jours|me pendre|me jeter (en bas|devant|du haut|sous))\b",
    r"\b(?<!pas )(?<!jamais )me suicider\b",
    r"\bje (me suicide|suis suicidaire|etre suicidaire)\b",
    r"\b(idee|pensee) (suicidaire|de suicide|de me tuer|de mourir)\b",
    rf"{I}(vouloir|souhaiter|envie de|avoir hate de|preferer|etre prete? a|meriter de|aimer){GAP} (mourir|crever|"
    r"disparaitre pour (toujours|de bon))\b(?! de (rire|faim|soif|chaleur|froid|honte|fatigue|peur|ennui))",
    r"\b(vouloir|envie de|gout de|raison de) plus (vivre|etre la|exister)\b",
    r"\b(plus|pas|aucun|aucune) (envie|raison|gout) de vivre\b",
    r"\b(me enlever|me oter|mettre fin a|en finir avec) (la|ma) vie\b",
    r"\bmettre fin a mes jours\b",
    r"\b(vouloir|devoir|falloir que je|aller) en finir\b(?! avec)",
    r"\b(tout le monde|ils|elles|vous|ma famille|mes enfants|les autres|ma blonde|mon chum)( \w+){0,3} mieux sans moi\b",
    r"\bmieux (mort|morte)\b",
    r"\b(jamais|plus jamais|ne plus|pas) me reveiller\b",
    # Not staying alive, said of oneself (« je resterai pas en vie », « jveux pu être en vie »),
    # and letting oneself die; never « je suis plus en vie que jamais ».
    r"\b(je|j)( \w+){0,4} rest\w* (pas|plus|jamais) en vie\b(?! que)",
    r"\b(je|j)( \w+){0,4} (vouloir|envie de|gout de|besoin de) (pas|plus|jamais) (etre|rester) en vie\b",
    r"\b(je|j)( \w+){0,3} me laisser mourir\b(?! de (rire|faim|soif|fatigue|ennui))",
    # Thinking of suicide, said of oneself now (« je pense au suicide tous les soirs »); never
    # « je pense plus au suicide », nor « au suicide de mon ami ».
    r"\bje (penser|pense|songer|songe)( (?!pas\b|plus\b|jamais\b|pu\b)\w+){0,2} au suicide\b(?! (de|d|du|des)\b)",
    r"\b(me|m) (couper|scarifier|mutiler|bruler|taillader) (les veines|les bras|les poignets|encore)\b",
    r"\blettre de adieu\b|\blettre d adieu\b",
    # Means named as a question about a dose: asked for oneself far more often than not.
    r"\bcombien de (pilules|comprimes|cachets|medicaments|pills|tylenol|advil|somniferes|mes)\b.*\b(pour|assez pour) "
    r"(mourir|en finir|partir pour de bon|pu me reveiller|plus me reveiller|pas me reveiller)\b",
    r"\bdose (mortelle|letale) (de|d) (mes|mon|ma)\b",
    r"\b(surdose|overdose)\b.*\b(fait mal|souffrir|combien)\b.*\?",
]

# A question about how a way of dying feels or works, asked in the first or second person
# (« est-ce que ça fait mal de se jeter… ? », "does it hurt to jump…?"): methods are named.
_METHOD = (
    r"((se|me) (jeter|pendre|noyer|tirer|couper les veines|empoisonner|endormir pour de bon)|"
    r"sauter (du|d un|d une|en bas|devant|par dessus)|pendaison|surdose|overdose|"
    r"(jump|jumping) (off|from|in front)|hang myself|hanging myself|drown myself|slit my|shoot myself|"
    r"poison myself)"
)
_QUESTION = [
    rf"\b(ca fait|ca fait tu|est ce que ca fait|est ce que c est|c est tu) (mal|souffrir|vite|rapide|long)\b.*\b{_METHOD}\b",
    rf"\b{_METHOD}\b.*\b(ca fait mal|fait souffrir|c est rapide|c est long|marche a coup sur|ca marche)\b",
    rf"\b(does it|would it|will it|is it) (hurt|painful|quick|fast|work|take long)\b.*\b{_METHOD}\b",
    rf"\b{_METHOD}\b.*\b(hurt|painful|quick|fast|works|work the first time|instant)\b",
]

# On the normalised English text.
_EN = [
    rf"\b(want|wanted|going|plan|planning|need|ready|decided|try|trying|thinking about|thought about|thinking of)"
    rf"{GAP} (to )?(kill myself|end my life|end it all|take my (own )?life|commit suicide|ending my life|ending it all)\b",
    r"\b(kill myself|killing myself|end my (own )?life|take my own life)\b(?! (lol|haha|xd))",
    r"\bi am (so |really |very )?suicidal\b",
    r"\bsuicidal (thought|thoughts|again|tonight)\b",
    rf"\b(i|i just|i really){GAP} (want|wish|need) to (just )?die\b(?! (of|from|laughing|for|than))",
    r"\bwish i (was|were|had been) (dead|never born)\b",
    r"\bbetter off (dead|without me)\b",
    r"\b(do not|no longer|not) want to (live|be alive|exist|wake up)\b(?! (in|with|like|near|there|here|at))",
    r"\b(no|any) (reason|point) (to live|in living)\b",
    r"\bnot worth living\b",
    # Not being alive, wished or thought of ("I think about not being alive anymore", "I want
    # to stop being alive"); never "I won't be alive when they finish that bridge".
    r"\b(think|thinking|thought|thinks) (about|of) (not being (alive|here|around)|not existing|being dead)\b",
    r"\b(not|stop|quit) (being|staying) alive\b",
    # Thinking of suicide now, said of oneself ("I've been thinking about suicide for weeks");
    # never "I don't think about suicide anymore", "thinking about suicide prevention".
    r"\bi (have been |am |keep |keep on |can not stop |cannot stop )?(thinking|think) (about|of) "
    r"(suicide|killing myself)\b(?! (prevention|awareness|hotline|line|rates?|of|in|by|among)\b)",
    r"\b(will not|not going to|do not want to) (stay|be) alive\b(?! (to see|for|when|by the time))",  # « won't », « don't » as normalised
    r"\b(cut|cutting|burn|burning|hurt|hurting|harm|harming) myself\b(?! (on|while|by accident|accidentally|shaving|cooking|playing|at|during|in))",
    r"\b(hang|drown|shoot|poison) myself\b",
    r"\bslit my wrist",
    r"\b(everyone|everybody|they|people|my family|my kids|the world) (would|will) be better (off )?without me\b",
    r"\b(suicide|goodbye) (note|letter)\b(?! (in|from) (the|a) (movie|film|book|show|story))",
    r"\bhow many\b.*\b(pills|tablets|meds|capsules|of my)\b.*\b(would it take|to die|to kill me|to end it|"
    r"enough to|to not wake up|to never wake up)\b",
    r"\b(lethal|fatal) (dose|amount) of (my|these|those)\b",
    r"\boverdose\b.*\b(painful|hurt|how much|how many)\b.*\?",
]

_FR_RE = [re.compile(p) for p in _FR]
_QUESTION_RE = [re.compile(p) for p in _QUESTION]
_EN_RE = [re.compile(p) for p in _EN]
# The same rules as one expression per list, for `fires`: one search finds whether any fires.
_FR_ANY, _QUESTION_ANY, _EN_ANY = (any_of(group) for group in (_FR, _QUESTION, _EN))


def without_lookalikes(normalized: str) -> str:
    if _LOOKALIKES_ANY.search(normalized):
        for pattern in _LOOKALIKES_RE:
            normalized = pattern.sub(" ", normalized)
    return _SPACES.sub(" ", normalized).strip()


def match(normalized: str, question: str = "") -> str | None:
    """The first rule that fires on a normalised text, or None. `question` is the sentence
    as written: the method rules need its question mark, which normalising removes."""
    text = without_lookalikes(normalized)
    if not text or _PAST.search(text):
        return None
    french = lemmas(text)
    for pattern in _FR_RE:  # verbs read best as lemmas, set phrases as written
        if pattern.search(french) or pattern.search(text):
            return pattern.pattern
    for pattern in _EN_RE:
        if pattern.search(text):
            return pattern.pattern
    if "?" in question:
        for pattern in _QUESTION_RE:
            if pattern.search(text):
                return pattern.pattern
    return None


def fires_on(normalized: str, question: str = "") -> bool:
    """Does a rule fire on this normalised text (`match` is not None, in one search a list)?"""
    text = without_lookalikes(normalized)
    if not text or _PAST.search(text):
        return False
    french = lemmas(text)
    return bool(
        _FR_ANY.search(french)
        or (french != text and _FR_ANY.search(text))  # the same text needs no second search
        or _EN_ANY.search(text)
        or ("?" in question and _QUESTION_ANY.search(text))
    )


def fires_in(said: list[str], normalized: list[str]) -> bool:
    """Does any rule fire on any of these sentences (as written, and each normalised)?"""
    return any(fires_on(text, sentence) for text, sentence in zip(normalized, said, strict=True))


def fires(text: str) -> bool:
    """Does any rule fire on any sentence of this message?"""
    said = sentences(text) or [text]
    return fires_in(said, [normalize(sentence) for sentence in said])
