"""Build the documentation site from the notebooks, without Quarto: `python tools/build_docs.py` writes `_site/`.

1. Copies nbs/ (every notebook and asset git sees, tutorials/ included) to `_docs_build/src/`, processing each
   notebook as nbdev's docs do: `#|` directive lines are removed (from markdown cells too); `#| hide` cells and
   exported cells run but are not shown; after each `#| export` cell comes the documentation of the public
   functions and classes it defines, taken from the package (signature with its docments, docstring), like nbdev's
   `show_doc`; `#| echo: false` hides a cell's code and `#| output: false` its output.
2. Executes each notebook with nbclient (a per-cell timeout; figures are captured as PNG by the inline backend).
   Cells marked `#| eval: false` or with a flag of `tst_flags` (`#| slow`, `#| cuda`, ...) are shown, not run.
   A cell that raises fails the build.
3. Renders the site with Sphinx + myst-nb (theme furo, MathJax served from the site), configured in docs/conf.py:
   nbs/index.ipynb is the landing page, the module notebooks form the API section, nbs/tutorials/ its own section.
   Sphinx warnings (a broken cross-reference, an unknown directive...) fail the build.

Options: `--no-execute` renders a quick preview, reusing the outputs of the last executed build of any notebook
whose source has not changed since; `--timeout` sets the per-cell limit in seconds; `--jobs` runs notebooks in
parallel. Needs docs/requirements.txt installed next to the project (`pip install -r docs/requirements.txt`).
"""
import argparse, ast, hashlib, importlib, inspect, json, os, re, shutil, subprocess, sys, textwrap, time, tomllib, uuid, warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NBS, DOCS = ROOT/'nbs', ROOT/'docs'
BUILD, SITE = ROOT/'_docs_build', ROOT/'_site'
SRC, EXECUTED = BUILD/'src', BUILD/'executed'
NO_RUN = {'eval: false'}  # besides the tst_flags of [tool.nbdev]

def tst_flags() -> set:
    "Flags whose cells `nbdev-test` skips by default (pyproject's [tool.nbdev] tst_flags)"
    cfg = tomllib.loads((ROOT/'pyproject.toml').read_text()).get('tool', {}).get('nbdev', {})
    return set(cfg.get('tst_flags', '').split())

def source_files() -> list:
    "Files under nbs/ that git tracks or would track (committed or not, minus .gitignore), as paths relative to nbs/"
    try:
        out = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard', '-z', '--', 'nbs'], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
        files = [Path(f) for f in out.split('\0') if f]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout
        files = [p.relative_to(ROOT) for p in NBS.rglob('*') if p.is_file()]
    return sorted(f.relative_to('nbs') for f in files
                  if (ROOT/f).is_file() and not any(p.startswith(('.', '_')) for p in f.parts))

## Directives and show_doc

DIRECTIVE = re.compile(r'^\s*#\s*\|\s*(.*?)\s*$')

def split_directives(src:str):
    "The leading `#|` directives of a cell's source (a dict) and the source without them"
    lines, dirs = src.splitlines(), {}
    while lines and (m := DIRECTIVE.match(lines[0])):
        key, _, val = m.group(1).partition(' ')
        key, val = (key[:-1], val.strip()) if key.endswith(':') else (key, val.strip())
        dirs[key] = val or True
        lines.pop(0)
    return dirs, '\n'.join(lines).strip('\n')

def _written(obj) -> dict:
    "Annotation and default of each parameter (and 'return') as the source writes them, e.g. `nn.Module`"
    try: node = ast.parse(textwrap.dedent(inspect.getsource(obj.__init__ if inspect.isclass(obj) else obj))).body[0]
    except (OSError, TypeError, SyntaxError, IndexError): return {}
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)): return {}
    a, out = node.args, {'return': (node.returns, None)}
    pos = a.posonlyargs + a.args
    for arg, d in zip(pos, [None] * (len(pos) - len(a.defaults)) + a.defaults): out[arg.arg] = (arg.annotation, d)
    for arg, d in zip(a.kwonlyargs, a.kw_defaults): out[arg.arg] = (arg.annotation, d)
    for arg in (a.vararg, a.kwarg):
        if arg: out[arg.arg] = (arg.annotation, None)
    return {k: tuple(x and ast.unparse(x) for x in v) for k, v in out.items()}

def _anno(a) -> str:
    if a is inspect.Parameter.empty: return ''
    return ':' + (a if isinstance(a, str) else inspect.formatannotation(a))

def _default(v) -> str:
    return v.__qualname__ if inspect.isclass(v) or inspect.isfunction(v) else repr(v)

def signature_md(obj, name:str) -> str:
    "The signature of `obj` as a python block, one parameter a line with its docment, as nbdev 3's show_doc"
    from fastcore.docments import docments
    try: sig = inspect.signature(obj)
    except (TypeError, ValueError): return ''
    try: docs = docments(obj, full=True, returns=True)
    except Exception: docs = {}
    docment = lambda k: (docs.get(k) or {}).get('docment') or '' if isinstance(docs.get(k, {}), dict) else ''
    written = _written(obj)
    params, star_done, pos_only = [], False, False
    ps = list(sig.parameters.values())
    if '.' in name and ps and ps[0].name in ('self', 'cls'): ps = ps[1:]  # a method documented as Class.method
    for p in ps:
        if p.kind == p.KEYWORD_ONLY and not star_done: params.append(('*', '')); star_done = True
        if p.kind == p.VAR_POSITIONAL: star_done = True
        if pos_only and p.kind != p.POSITIONAL_ONLY: params.append(('/', '')); pos_only = False
        pos_only = p.kind == p.POSITIONAL_ONLY
        anno, default = written.get(p.name, (None, None))
        s = ({p.VAR_POSITIONAL: '*', p.VAR_KEYWORD: '**'}.get(p.kind, '') + p.name
             + (f':{anno}' if anno else _anno(p.annotation))
             + ('' if p.default is p.empty else f'={default or _default(p.default)}'))
        params.append((s, docment(p.name)))
    if pos_only: params.append(('/', ''))
    ret = written.get('return', (None,))[0]
    ret = f'->{ret}' if ret else _anno(sig.return_annotation).replace(':', '->', 1)
    rdoc = docment('return')
    kw, name = 'class' if inspect.isclass(obj) else 'def', name.split('.')[-1]
    head = f"{kw} {name}({', '.join(s for s, _ in params)}){ret}"
    if not any(d for _, d in params) and len(head) <= 100:
        return f"```python\n{head}{' # ' + rdoc if rdoc else ''}\n```"
    body = '\n'.join(f"    {s},{' # ' + d if d else ''}" for s, d in params)
    return f"```python\n{kw} {name}(\n{body}\n){ret}{' # ' + rdoc if rdoc else ''}\n```"

def show_doc_md(obj, name:str, level:int=3) -> str:
    "Markdown documentation of `obj`: heading, signature with docments, docstring"
    doc = inspect.getdoc(obj) or ''
    if inspect.isclass(obj) and doc == inspect.getdoc(object): doc = ''
    parts = [f"{'#' * level} {name}", signature_md(obj, name), f'*{doc}*' if doc and '\n' not in doc else doc]
    return '\n\n'.join(p for p in parts if p)

def documented(src:str, module) -> list:
    "(name, object) of the public functions and classes that an exported cell defines, `@patch`ed methods included"
    out, public = [], set(getattr(module, '__all__', []))
    for node in ast.parse(src).body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or node.name.startswith('_'):
            continue
        decos = [ast.unparse(d) for d in node.decorator_list]
        if any(d.split('(')[0] in ('patch', 'patch_to', 'fastcore.basics.patch') for d in decos):
            args = node.args.args if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else []
            cls = ast.unparse(args[0].annotation) if args and args[0].annotation else None
            if cls and (owner := getattr(module, cls, None)) is not None and hasattr(owner, node.name):
                out.append((f'{cls}.{node.name}', getattr(owner, node.name)))
        elif node.name in public and hasattr(module, node.name):
            out.append((node.name, getattr(module, node.name)))
    return out

## Notebook processing

def markdown_cell(src:str):
    import nbformat
    return nbformat.v4.new_markdown_cell(src)

def process(nb, rel:Path, no_run:set):
    "nbdev's docs view of notebook `nb` (at nbs/`rel`): directives out, hidden cells tagged, show_doc added"
    module, cells, level = None, [], 2  # level: of the last markdown heading; show_doc headings go one below
    for cell in nb.cells:
        if cell.cell_type != 'code':
            if cell.cell_type == 'markdown':
                cell.source = split_directives(cell.source)[1]  # `#| export` (nbdev's llms.txt) is not shown
                if (hs := re.findall(r'^(#{2,6}) ', cell.source, re.M)): level = len(hs[-1])
            cells.append(cell); continue
        dirs, src = split_directives(cell.source)
        if 'default_exp' in dirs:
            module = importlib.import_module(f"{pkg_name()}.{dirs['default_exp']}")
        if not src.strip(): continue
        cell.source, cell.outputs, cell.execution_count = src, [], None
        tags = set(cell.metadata.get('tags', []))
        exported = bool({'export', 'exporti', 'exports'} & set(dirs))
        if 'hide' in dirs or dirs.get('include') == 'false' or ({'export', 'exporti'} & set(dirs)): tags.add('remove-cell')
        if dirs.get('echo') == 'false': tags.add('remove-input')
        if dirs.get('output') == 'false': tags.add('remove-output')
        if no_run & ({k for k in dirs} | {f'{k}: {v}' for k, v in dirs.items()}): tags.add('skip-execution')
        if tags: cell.metadata['tags'] = sorted(tags)
        cells.append(cell)
        if exported and not {'exporti', 'hide'} & set(dirs):
            if module is None: raise SystemExit(f'nbs/{rel}: an exported cell comes before `#| default_exp`')
            cells += [markdown_cell(show_doc_md(obj, name, min(level + 1, 4))) for name, obj in documented(src, module)]
    nb.cells = cells
    nb.nbformat_minor = max(nb.nbformat_minor, 5)
    for c in nb.cells: c.setdefault('id', uuid.uuid4().hex[:8])  # cells of notebooks saved without ids
    return nb

def pkg_name() -> str:
    "The package the notebooks export to: the project's name"
    return tomllib.loads((ROOT/'pyproject.toml').read_text())['project']['name'].replace('-', '_')

def add_toctree(index, notebooks:list):
    "Append to the landing page the hidden table of contents: API pages, then one section per subfolder"
    sections = {}
    for rel in notebooks:
        if rel == Path('index.ipynb'): continue
        sec = 'API' if len(rel.parts) == 1 else rel.parts[0].replace('_', ' ').capitalize()
        sections.setdefault(sec, []).append(rel.with_suffix('').as_posix())
    for sec, docs in sections.items():
        index.cells.append(markdown_cell(f"```{{toctree}}\n:hidden:\n:caption: {sec}\n\n" + '\n'.join(docs) + '\n```'))

def code_hash(nb) -> str:
    "What the outputs of `nb` depend on: the sources of its code cells and which of them run"
    code = [(c.source, 'skip-execution' in c.metadata.get('tags', [])) for c in nb.cells if c.cell_type == 'code']
    return hashlib.sha256(json.dumps(code).encode()).hexdigest()

def reuse_outputs(nb, old):
    "Give the code cells of `nb` the outputs of the same cells of `old`, an executed copy of the same code"
    old_code = iter([c for c in old.cells if c.cell_type == 'code'])
    for c in nb.cells:
        if c.cell_type == 'code': o = next(old_code); c.outputs, c.execution_count = o.outputs, o.execution_count

def execute(nb, path:Path, timeout:int) -> tuple:
    "Run `nb` in the folder of `path`; returns (nb, error message or None)"
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError
    env = {**os.environ, 'MPLBACKEND': 'module://matplotlib_inline.backend_inline', 'PYDEVD_DISABLE_FILE_VALIDATION': '1'}
    client = NotebookClient(nb, timeout=timeout, kernel_name='python3', allow_errors=False, record_timing=False,
                            resources={'metadata': {'path': str(path.parent)}})
    try: client.execute(env=env)
    except (CellExecutionError, CellTimeoutError) as e: return nb, str(e)
    except Exception as e: return nb, f'{type(e).__name__}: {e}'
    return nb, None

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--no-execute', action='store_true', help='reuse outputs of the last executed build, run nothing')
    ap.add_argument('--timeout', type=int, default=600, help='seconds a cell may run (default 600)')
    ap.add_argument('--jobs', type=int, default=1, help='notebooks executed at the same time (default 1)')
    args = ap.parse_args()
    import nbformat
    warnings.filterwarnings('ignore', category=nbformat.validator.MissingIDFieldWarning)  # ids are added below
    t0 = time.time()
    sys.path.insert(0, str(ROOT))
    no_run = NO_RUN | tst_flags()
    shutil.rmtree(SRC, ignore_errors=True)
    files = source_files()
    notebooks = [f for f in files if f.suffix == '.ipynb']
    if Path('index.ipynb') not in notebooks: raise SystemExit('nbs/index.ipynb (the landing page) is missing')
    for f in files:  # assets (images...) as they are; notebooks below
        if f.suffix != '.ipynb' and f.suffix not in ('.md', '.rst'):
            (SRC/f).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(NBS/f, SRC/f)
    todo, failures = [], []
    for rel in notebooks:
        nb = process(nbformat.read(NBS/rel, as_version=4), rel, no_run)
        if rel == Path('index.ipynb'): add_toctree(nb, notebooks)
        out = SRC/rel; out.parent.mkdir(parents=True, exist_ok=True)
        cached = EXECUTED/rel
        if args.no_execute:
            if cached.exists() and code_hash(old := nbformat.read(cached, as_version=4)) == code_hash(nb):
                reuse_outputs(nb, old)
            else: print(f'  {rel}: no executed copy of this code, rendered without outputs')
            nbformat.write(nb, out)
        else: todo.append((rel, nb, out))

    def run(item):
        rel, nb, out = item
        t = time.time()
        nb, err = execute(nb, out, args.timeout)
        print(f"  executed {rel} in {time.time() - t:.0f} s{' -- FAILED' if err else ''}", flush=True)
        return rel, nb, out, err
    if todo: print(f'executing {len(todo)} notebooks (cell timeout {args.timeout} s, {args.jobs} at a time)', flush=True)
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for rel, nb, out, err in pool.map(run, todo):
            if err: failures.append((rel, err)); continue
            nbformat.write(nb, out)
            (EXECUTED/rel).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(out, EXECUTED/rel)
    if failures:
        for rel, err in failures: print(f'\n==== nbs/{rel} raised while executing:\n{err[-4000:]}')
        raise SystemExit(f'docs build failed: {len(failures)} notebook(s) raised: ' + ', '.join(str(r) for r, _ in failures))
    print('rendering with Sphinx', flush=True)
    html = BUILD/'html'  # not _site itself: myst-nb writes a jupyter_execute/ folder next to its output
    shutil.rmtree(html, ignore_errors=True)
    r = subprocess.run([sys.executable, '-m', 'sphinx', '-b', 'html', '-E', '-q', '-W', '--keep-going', '-c', str(DOCS),
                        '-d', str(BUILD/'doctrees'), str(SRC), str(html)], cwd=ROOT)
    if r.returncode: raise SystemExit(f'docs build failed: sphinx-build exited with {r.returncode}')
    (html/'.nojekyll').touch()
    shutil.rmtree(SITE, ignore_errors=True); shutil.move(html, SITE)
    print(f'site written to {SITE.relative_to(ROOT)}/ in {time.time() - t0:.0f} s')

if __name__ == '__main__': main()
