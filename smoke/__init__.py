"""`make smoke URL=... KEY=...`: a short, bounded check of a deployed (or local) Recipients API.

Standard library only, so it runs wherever Python 3.13 does, with nothing installed. See
`python -m smoke --help` and the README's Deploy section.
"""
