"""Sphinx configuration of the documentation site; `python tools/build_docs.py` builds it (see that script).

The sources are the processed, executed notebooks in `_docs_build/src/`, so myst-nb renders them without executing.
"""
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_meta = tomllib.loads((ROOT/'pyproject.toml').read_text())['project']

project = _meta['name']
author = ', '.join(a['name'] for a in _meta.get('authors', []))
copyright = f'{author}; Apache-2.0'
release = version = __import__(project).__version__

extensions = ['myst_nb', 'sphinx-mathjax-offline']  # MathJax 3 copied into the site: pages need no network
root_doc = 'index'
exclude_patterns = ['**/.ipynb_checkpoints', '**/*.md', '**/*.rst']
myst_enable_extensions = ['dollarmath', 'amsmath', 'colon_fence']
myst_heading_anchors = 3
mathjax3_config = {'loader': {'load': ['[tex]/textmacros']}, 'tex': {'packages': {'[+]': ['textmacros']}}}  # \_ in \text
nb_execution_mode = 'off'  # tools/build_docs.py has executed them
nb_merge_streams = True
nb_output_stderr = 'remove'  # progress bars and library warnings; a cell's own prints (stdout) stay
suppress_warnings = ['myst.header']  # a notebook may go from its title to a ### heading

html_theme = 'furo'
html_title = project
html_copy_source = False
html_static_path = ['_static']
html_css_files = ['spivae.css']  # code blocks and tables wrap: long lines are shown whole, not cut at the right edge
html_show_sourcelink = False
html_theme_options = {'source_repository': _meta.get('urls', {}).get('Repository', ''), 'source_branch': 'main',
                      'source_directory': 'nbs/'}
