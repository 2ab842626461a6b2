"""Reading the brief: menus, themes, paginated sections, About, search, deep links, inline sharing, languages,
subscriptions and /forget; and the handler kit every feature uses (``context``: the reader of an update, the
services, ``show``). This package imports no other feature's handlers: the ones that add to its screens do so
through ``hooks`` and ``keyboards.PageButtons``.

Its modules are imported directly (``bot.reading.context``...); this file imports nothing, so that importing any
of them never loads the others.
"""
