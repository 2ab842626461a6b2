"""Offline copies of the brief: per theme and language a PDF to print and an HTML page to read without a
connection, plus the whole brief per language; built once per content version into a disk cache, sent in the
chat with ``sendDocument`` (each upload's ``file_id`` reused), and written out by ``brief-bot export``.

The parts: ``settings`` (content/offline.yaml), ``document`` (the content laid out, pure), ``pdf`` and ``webpage``
(the two renderers), ``shelf`` (building into the disk cache), ``store`` (a built set's names, sizes, hashes and
key: what the running bot reads), ``service`` (finding or building the set at start-up), ``file_ids`` (the upload
cache table), ``callbacks``, ``screens`` and ``handlers`` (the bot's side), ``export`` (the command line).
"""
