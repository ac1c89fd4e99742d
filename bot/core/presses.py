"""The shapes of the choices' data the services issue (short stable ids, never labels),
defined once for every messenger: Telegram's press handlers and Signal's numbered answers
read a choice's data with the same patterns (the services check what the ids point to)."""

from __future__ import annotations

import re

ROOM = re.compile(r"^(join|wait|leave):(\d{1,9})$")  # join, wait for a place, leave
ROOM_PLACES = re.compile(r"^ro:p:(\d{1,2})$")  # the guided /ouvrir: how many places
HELD = re.compile(r"^cr:(talk|send|drop):([A-Za-z0-9_-]{12})$")  # a held message: what to do
SUPPORT = re.compile(r"^sup:(\d{1,9})$")  # a facilitator answers a member who may need support
REPORT_REASON = re.compile(r"^rp:([a-z]{2,10}):(\d{1,10})$")
REPORT_LIFT = re.compile(r"^unpause:(\d{1,12})$")
BOARD_WITHDRAW = re.compile(r"^bdw:(\d{1,9}):([A-Za-z0-9_-]{16})$")
BOARD_MODERATE = re.compile(r"^bd:(pin|del):(\d{1,9})(?::([A-Za-z0-9_-]{12}))?$")
RSVP = re.compile(r"^rsvp:(\d{1,9}):([ymn])$")
WORKSHOP_MOVE = re.compile(r"^wsm:(\d{1,9})$")
WORKSHOP_CANCEL = re.compile(r"^wsc:(\d{1,9})(?::([A-Za-z0-9_-]{12}))?$")
