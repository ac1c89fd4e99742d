"""The bot's commands, French name first and its English alias, on every messenger (Telegram
shows them as menus per language; on Signal they are typed as text)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    fr: str
    en: str
    key: str  # message key of the menu description, in both catalogs

    def names(self) -> list[str]:
        return [self.fr] if self.fr == self.en else [self.fr, self.en]


MEMBER_COMMANDS = (
    Command("start", "start", "menu.start"),
    Command("aide", "help", "menu.help"),
    Command("salles", "rooms", "menu.rooms"),
    Command("rejoindre", "join", "menu.join"),
    Command("quitter", "leave", "menu.leave"),
    Command("pseudo", "pseudo", "menu.pseudo"),
    Command("ateliers", "workshops", "menu.workshops"),
    Command("partager", "share", "menu.share"),
    Command("ressources", "resources", "menu.resources"),
    Command("bilan", "checkin", "menu.checkin"),
    Command("humeur", "mood", "menu.mood"),
    Command("supprimer", "delete", "menu.delete"),
    Command("signaler", "report", "menu.report"),
    Command("confidentialite", "privacy", "menu.privacy"),
    Command("mesdonnees", "mydata", "menu.mydata"),
    Command("oublier", "forget", "menu.forget"),
    Command("langue", "language", "menu.language"),
)

# Ends a guided exchange (/ouvrir, /atelier step by step); in no menu.
CANCEL = Command("annuler", "cancel", "menu.cancel")

FACILITATOR_COMMANDS = (
    Command("ouvrir", "open", "menu.open"),
    Command("fermer", "close", "menu.close"),
    Command("atelier", "workshop", "menu.workshop"),
    Command("annonce", "announce", "menu.announce"),
    Command("tendances", "trends", "menu.trends"),
    Command("avertir", "warn", "menu.warn"),
    Command("sourdine", "mute", "menu.mute"),
    Command("exclure", "ban", "menu.ban"),
)


def menu(commands, locale: str, t) -> list[tuple[str, str]]:
    """(command, description) pairs in one language, French names for French."""
    return [(c.fr if locale == "fr" else c.en, t(locale, c.key)) for c in commands]
