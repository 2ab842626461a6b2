"""The reading menus' button payloads, through the features' codec (bot/telegram/payloads.py), each checked
against 64 bytes when packed.

Format: ``<version>:<action>[:<arg>...]``. Arguments are ids from the content (never titles), so a payload is
short and stable. Each action has a typed payload (``PAYLOADS``): handlers ``read`` one and get its fields
typed. Data from another version of the bot, or forged, reads as ``None``: the handler then answers "this menu
has expired" and shows a fresh menu. Readers' reports (bot/reports/buttons.py) and the admins' buttons
(bot/announcing/buttons.py) share the version prefix with action letters of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum

from bot.telegram.payloads import CallbackDataError, PayloadCodec

__all__ = [
    "PATTERN",
    "PAYLOADS",
    "VERSION",
    "AboutPage",
    "Action",
    "Callback",
    "CallbackDataError",
    "ChooseLanguage",
    "Forget",
    "ForgetConfirm",
    "Hide",
    "ItemPage",
    "Languages",
    "Menu",
    "Noop",
    "OriginalPage",
    "Payload",
    "Reference",
    "SearchHelp",
    "SectionPage",
    "SetSubscription",
    "Subscriptions",
    "ThemePage",
    "Toggle",
    "ToggleFrom",
    "Unsubscribe",
    "Want",
    "pack",
    "read",
    "unpack",
]

VERSION = "1"  # bump when the meaning of existing payloads changes: old buttons then expire politely


class Action(StrEnum):
    """What a button does."""

    MENU = "m"  # main menu
    THEME = "t"  # theme page: theme
    SECTION = "s"  # a page of a section: theme, section, page
    ITEM = "i"  # the page holding an item: theme, item
    ABOUT = "a"  # about the brief: page
    LANGUAGES = "L"  # language picker
    LANGUAGE = "l"  # choose a language: code
    SEARCH = "q"  # how to search
    SUBSCRIPTIONS = "S"  # the subscriptions checklist
    TOGGLE = "u"  # buttons of earlier versions: flip a subscription (topic, origin); still understood
    SUBSCRIPTION = "b"  # subscribe or unsubscribe: topic, the state wanted, where (t = theme page, S = checklist)
    UNSUBSCRIBE = "U"  # "unsubscribe from this theme" under an announcement: topic
    FORGET = "f"  # ask to erase my data
    FORGET_CONFIRM = "F"  # erase my data
    HIDE = "h"  # delete this message
    NOOP = "n"  # a label-only button (e.g. "page 2/5")
    ORIGINAL = "o"  # a translated page in the reader's original (en or ru): theme (or "about"), section, page
    REFERENCE = "R"  # compare with the other original from now on: code, theme, section, page


class ToggleFrom(StrEnum):
    """Where a subscription toggle was pressed (the screen to show again)."""

    THEME = "t"
    CHECKLIST = "S"


class Want(StrEnum):
    """The subscription state a button asks for: the same tap delivered twice leaves the same state."""

    SUBSCRIBED = "1"
    UNSUBSCRIBED = "0"


# Typed payloads, one per action (as aiogram's CallbackData): fields are packed in order; an ``int`` field is a
# number SQLite can store (bot/telegram/ids.py), a ``StrEnum`` field one of its values, a ``str`` field a short id.


@dataclass(frozen=True, slots=True)
class Payload:
    """A button payload; ``pack()`` encodes it."""

    def pack(self) -> str:
        """Encode this payload; raise ``CallbackDataError`` if it is malformed or too long."""
        return CODEC.pack(self)


@dataclass(frozen=True, slots=True)
class Menu(Payload):
    """The main menu."""


@dataclass(frozen=True, slots=True)
class ThemePage(Payload):
    """A theme's page."""

    theme: str


@dataclass(frozen=True, slots=True)
class SectionPage(Payload):
    """A page of a section."""

    theme: str
    section: str
    page: int


@dataclass(frozen=True, slots=True)
class ItemPage(Payload):
    """The page holding an item."""

    theme: str
    item: str


@dataclass(frozen=True, slots=True)
class AboutPage(Payload):
    """A page of "About the brief"."""

    page: int


@dataclass(frozen=True, slots=True)
class Languages(Payload):
    """The language picker."""


@dataclass(frozen=True, slots=True)
class ChooseLanguage(Payload):
    """Choose a language."""

    code: str


@dataclass(frozen=True, slots=True)
class SearchHelp(Payload):
    """How to search."""


@dataclass(frozen=True, slots=True)
class Subscriptions(Payload):
    """The subscriptions checklist."""


@dataclass(frozen=True, slots=True)
class Toggle(Payload):
    """Flip a subscription: buttons of earlier versions (a tap delivered twice undoes itself); see SetSubscription."""

    topic: str
    origin: ToggleFrom


@dataclass(frozen=True, slots=True)
class SetSubscription(Payload):
    """Subscribe to a topic or unsubscribe from it: the state wanted, not a flip."""

    topic: str
    want: Want
    origin: ToggleFrom


@dataclass(frozen=True, slots=True)
class Unsubscribe(Payload):
    """Leave the topics an announcement was sent for."""

    announcement: int


@dataclass(frozen=True, slots=True)
class Forget(Payload):
    """Ask to erase my data."""


@dataclass(frozen=True, slots=True)
class ForgetConfirm(Payload):
    """Erase my data."""


@dataclass(frozen=True, slots=True)
class Hide(Payload):
    """Delete this message."""


@dataclass(frozen=True, slots=True)
class Noop(Payload):
    """A label-only button."""


@dataclass(frozen=True, slots=True)
class OriginalPage(Payload):
    """A translated page in the reader's original."""

    theme: str  # or ABOUT_PAGE
    section: str
    page: int


@dataclass(frozen=True, slots=True)
class Reference(Payload):
    """Compare with another original from now on, showing this page in it."""

    code: str
    theme: str
    section: str
    page: int


PAYLOADS: dict[Action, type[Payload]] = {
    Action.MENU: Menu,
    Action.THEME: ThemePage,
    Action.SECTION: SectionPage,
    Action.ITEM: ItemPage,
    Action.ABOUT: AboutPage,
    Action.LANGUAGES: Languages,
    Action.LANGUAGE: ChooseLanguage,
    Action.SEARCH: SearchHelp,
    Action.SUBSCRIPTIONS: Subscriptions,
    Action.TOGGLE: Toggle,
    Action.SUBSCRIPTION: SetSubscription,
    Action.UNSUBSCRIBE: Unsubscribe,
    Action.FORGET: Forget,
    Action.FORGET_CONFIRM: ForgetConfirm,
    Action.HIDE: Hide,
    Action.NOOP: Noop,
    Action.ORIGINAL: OriginalPage,
    Action.REFERENCE: Reference,
}
CODEC: PayloadCodec[Payload] = PayloadCodec(VERSION, {action.value: payload for action, payload in PAYLOADS.items()})
ARITY: dict[Action, int] = {action: len(fields(payload)) for action, payload in PAYLOADS.items()}
assert len(set(PAYLOADS.values())) == len(PAYLOADS), "each action has a payload type of its own"
# What the reading buttons' handler is registered for: these actions only (bot/reading/handlers.py). Other
# features' buttons with the same version prefix (readers' reports, the admins') have letters of their own.
PATTERN = CODEC.pattern


@dataclass(frozen=True, slots=True)
class Callback:
    """Well-formed button data, its arguments not yet typed."""

    action: Action
    args: tuple[str, ...] = ()


def pack(action: Action, *args: str | int) -> str:
    """Encode a button payload from its arguments; raise ``CallbackDataError`` if malformed or too long."""
    if len(args) != ARITY[action]:
        raise CallbackDataError(f"{action.name} takes {ARITY[action]} argument(s), got {len(args)}")
    return CODEC.pack(PAYLOADS[action](*args))


def unpack(data: str | None) -> Callback | None:
    """Split well-formed data into its action and arguments; ``None`` for another version's or forged data."""
    split = CODEC.split(data)
    return None if split is None else Callback(Action(split[0]), split[1])


def read(data: str | None) -> Payload | None:
    """Decode a payload into its typed form; ``None`` for stale, forged or ill-typed data (a page not a number)."""
    return CODEC.read(data)
