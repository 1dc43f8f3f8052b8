"""pytest runs the examples on the pages (``docs/*.rst``) as doctests; the
build's configuration, the figure code and the built site are not tests."""

collect_ignore = ["conf.py"]
collect_ignore_glob = ["_build/*", "figures/*"]
