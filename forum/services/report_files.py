"""Kept so `from forum.services import report_files` goes on working: the writers live in
`forum.services.report` (outline, word, markdown_file, charts, data_files, quotes)."""
from forum.services.report import *  # noqa: F403  (the old module name, kept for callers)
from forum.services.report import __all__  # noqa: F401
