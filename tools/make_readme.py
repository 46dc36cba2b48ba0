"""Write README.md from nbs/index.ipynb without Quarto (nbdev-readme needs it); `--check` fails if README.md is stale.

Markdown cells are copied with their relative links and images made relative to the repository root (the notebook
lives in nbs/), without their `#|` directive lines (`#| export` marks the paragraphs nbdev puts into llms.txt and the
package docstring); code cells become ```python blocks; cells marked `#| hide` are left out, `#| echo: false` drops
a cell's code and `#| output: false` its output; other `#|` directive lines are removed.
"""
import argparse, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = "<!-- Generated from nbs/index.ipynb by `python tools/make_readme.py`: edit the notebook, not this file -->\n\n"

def _directives(lines):
    "Split a code cell's lines into its `#|` directives (a dict) and the rest"
    dirs, body = {}, []
    for l in lines:
        s = l.strip()
        if s.startswith('#|'):
            key, _, val = s[2:].partition(':')
            dirs[key.strip()] = val.strip() or True
        else: body.append(l)
    return dirs, body

def _from_root(md):
    "Relative markdown links and images of a notebook in nbs/, rewritten relative to the repository root"
    return re.sub(r'\]\((?![a-z][a-z0-9+.-]*:|/|#)([^)\s]+)\)', lambda m: f'](nbs/{m.group(1)})', md)

def _outputs(cell):
    "Text of a code cell's stream and plain-text outputs"
    out = []
    for o in cell.get('outputs', []):
        if o.get('output_type') == 'stream': out.append(''.join(o['text']))
        elif 'text/plain' in o.get('data', {}): out.append(''.join(o['data']['text/plain']))
    return ''.join(out).rstrip('\n')

def render(nb_path:Path)->str:
    "Markdown of the notebook at `nb_path`"
    nb = json.loads(nb_path.read_text(encoding='utf-8'))
    parts = []
    for cell in nb['cells']:
        src = ''.join(cell['source']).rstrip('\n')
        if cell['cell_type'] == 'markdown':
            src = '\n'.join(_directives(src.splitlines())[1]).strip('\n')  # `#| export`: nbdev's llms.txt and package docstring
            if src: parts.append(_from_root(src))
            continue
        if cell['cell_type'] != 'code': continue
        dirs, body = _directives(src.splitlines())
        if dirs.get('hide') or 'default_exp' in dirs or 'export' in dirs: continue
        code = '\n'.join(body).strip('\n')
        if code and dirs.get('echo') != 'false': parts.append(f"```python\n{code}\n```")
        out = _outputs(cell)
        if out and dirs.get('output') != 'false': parts.append(f"```\n{out}\n```")
    return HEADER + '\n\n'.join(parts) + '\n'

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--check', action='store_true', help='exit 1 if README.md differs from what the notebook gives')
    args = p.parse_args()
    text, readme = render(ROOT/'nbs'/'index.ipynb'), ROOT/'README.md'
    if args.check:
        if not readme.exists() or readme.read_text(encoding='utf-8') != text:
            sys.exit("README.md is stale: run `python tools/make_readme.py` and commit it")
        print("README.md is up to date")
        return
    readme.write_text(text, encoding='utf-8')
    print(f"wrote {readme.relative_to(ROOT)}")

if __name__ == '__main__': main()
