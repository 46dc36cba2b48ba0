"""Test the built documentation site (`python tools/build_docs.py` first): `python tools/test_docs.py`.

Serves `_site/` on 127.0.0.1 and opens pages in headless Chromium (Debian's `chromium`, installed with apt-get when
missing and running as root). For the landing page, the `models` API page and a page with a figure (a tutorial if
there is one, else the first notebook with a figure) it saves a screenshot under `_site_screenshots/` and checks, in
the DOM Chromium built, the expected headings and signatures, the math typeset by MathJax, and that every <img>
figure is a non-empty PNG that the browser fetched from the server. Then it crawls every HTML page of the site and
checks that each internal link (href/src, and its #fragment) resolves to a file and an id of the site. On the
pages with code or tables it checks that every code block, text output and table is shown whole: none is wider
than its box (a long line wraps instead of running past the right edge, where a hidden scrollbar would cut it).
Prints one line per check and ends with `N passed, N failed`; exits non-zero if any check failed.
"""
import argparse, functools, json, os, re, shutil, subprocess, sys, tempfile, threading, urllib.error, urllib.parse, urllib.request
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PNG = b'\x89PNG\r\n\x1a\n'
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--hide-scrollbars',
         '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
         '--virtual-time-budget=15000', '--window-size=1280,2000']  # virtual time lets MathJax typeset first
results = []

def check(name:str, ok:bool, detail:str=''):
    "Record and print one check"
    results.append(ok)
    print(f"{'PASS' if ok else 'FAIL'} {name}{'' if ok or not detail else ': ' + detail}", flush=True)
    return ok

## The site as files

class Page(HTMLParser):
    "Links, ids, headings, images and text of one HTML page"
    def __init__(self, html:str):
        super().__init__(convert_charrefs=True)
        self.links, self.ids, self.headings, self.imgs, self.tags, self._h, self.text = [], set(), [], [], set(), None, []
        self.feed(html)
    def handle_starttag(self, tag, attrs):
        a = dict(attrs); self.tags.add(tag)
        for k in ('id', 'name'):
            if a.get(k): self.ids.add(a[k])
        for k in ('href', 'src'):
            if a.get(k) is not None and tag != 'base': self.links.append((tag, a[k]))
        if tag == 'img': self.imgs.append(a.get('src', ''))
        if re.fullmatch(r'h[1-6]', tag): self._h = [tag, '']
    def handle_endtag(self, tag):
        if self._h and tag == self._h[0]: self.headings.append((tag, self._h[1].strip().rstrip('#¶').strip())); self._h = None
    def handle_data(self, data):
        self.text.append(data)
        if self._h: self._h[1] += data

def internal(url:str) -> bool:
    u = urllib.parse.urlsplit(url)
    return not (u.scheme or u.netloc or url.startswith(('#', 'data:', 'javascript:', 'mailto:')) or not url.strip())

def crawl(site:Path):
    "Every internal href/src of every page resolves to a file of the site, and its #fragment to an id there"
    pages = {p: Page(p.read_text(encoding='utf-8', errors='replace')) for p in sorted(site.rglob('*.html'))}
    broken, n = [], 0
    for p, page in pages.items():
        for tag, url in page.links:
            frag = urllib.parse.urlsplit(url).fragment
            if url.startswith('#'): target = p
            elif internal(url):
                path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
                target = (site/path.lstrip('/')) if path.startswith('/') else (p.parent/path)
                target = target.resolve()
                if target.is_dir(): target = target/'index.html'
            else: continue
            n += 1
            rel = p.relative_to(site)
            if not target.is_file() or site.resolve() not in target.parents:
                broken.append(f'{rel}: <{tag}> {url} (no such file)'); continue
            if frag and target.suffix == '.html' and frag not in pages[target].ids:
                broken.append(f'{rel}: <{tag}> {url} (no id "{frag}" in {target.relative_to(site.resolve())})')
    check(f'internal links: {n} links in {len(pages)} pages resolve', not broken and n > 0,
          f'{len(broken)} broken:\n    ' + '\n    '.join(broken[:40]))

## The site in a browser

PROBE = '/_probe_wide_pre.html'  # served by the test server only, never part of the site
PROBE_HTML = '''<!DOCTYPE html><html><body style="margin:0">
<pre id="result">pending</pre>
<iframe id="page" style="width:1280px;height:2000px;border:0"></iframe>
<script>
const frame = document.getElementById('page');
frame.onload = () => {
  const doc = frame.contentDocument, shown = e => e.getClientRects().length > 0;
  const longest = e => e.textContent.split('\\n').reduce((a, b) => b.length > a.length ? b : a, '').trim().slice(0, 100);
  const pres = [...doc.querySelectorAll('pre')].filter(shown), tables = [...doc.querySelectorAll('article table')].filter(shown);
  const wide = pres.filter(p => p.scrollWidth > p.clientWidth + 1).map(p => `<pre> ${p.scrollWidth}px in ${p.clientWidth}px: ` + longest(p))
    .concat(tables.filter(t => t.offsetWidth > t.parentElement.clientWidth + 1)
    .map(t => `<table> ${t.offsetWidth}px in ${t.parentElement.clientWidth}px: ` + longest(t.rows[0])));
  document.getElementById('result').textContent = 'PRE ' + JSON.stringify({shown: pres.length, tables: tables.length, wide: wide});
};
frame.src = decodeURIComponent(location.hash.slice(1));
</script></body></html>'''

class Server:
    "The site on a free port of 127.0.0.1, recording the paths it served; also serves the probe page `PROBE`"
    def __init__(self, site:Path):
        served = self.served = []
        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, fmt, *args): pass
            def do_GET(self):
                if urllib.parse.urlsplit(self.path).path != PROBE: return super().do_GET()
                body = PROBE_HTML.encode()
                self.send_response(200); self.send_header('Content-Type', 'text/html; charset=utf-8')
                self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)
            def send_response(self, code, message=None):
                served.append((urllib.parse.unquote(urllib.parse.urlsplit(self.path).path), code))
                super().send_response(code, message)
        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Handler, directory=str(site)))
        self.url = f'http://127.0.0.1:{self.httpd.server_address[1]}/'
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

def chromium() -> str:
    "Path of Chromium, installed from Debian's packages if missing"
    exe = shutil.which('chromium') or shutil.which('chromium-browser')
    if exe: return exe
    if os.geteuid() != 0: raise SystemExit('chromium is missing: apt-get install chromium (as root)')
    print('installing chromium with apt-get', flush=True)
    env = {**os.environ, 'DEBIAN_FRONTEND': 'noninteractive'}
    for cmd in (['apt-get', 'update', '-qq'], ['apt-get', 'install', '-y', '-qq', 'chromium']):
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if r.returncode: raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    return shutil.which('chromium')

def browse(exe:str, url:str, *args, timeout=120) -> str:
    "Run headless Chromium on `url` in a fresh profile; returns its stdout"
    with tempfile.TemporaryDirectory(prefix='chromium-') as profile:
        r = subprocess.run([exe, *FLAGS, f'--user-data-dir={profile}', *args, url],
                           capture_output=True, text=True, timeout=timeout)
    if r.returncode: raise RuntimeError(f'chromium exited with {r.returncode}: {r.stderr[-1500:]}')
    return r.stdout

def figure_page(site:Path) -> Path:
    "A tutorial page with a figure if there is one, else the first notebook page with one"
    pages = sorted(site.glob('tutorials/*.html')) + sorted(p for p in site.glob('*.html') if p.stem[:1].isdigit())
    for p in pages:
        if any('_images/' in s and s.endswith('.png') for s in Page(p.read_text(encoding='utf-8')).imgs): return p
    return None

def check_page(exe, server, site, shots, page:Path, expect:list, figures=False, math=False):
    "Screenshot `page`, then check its DOM for `expect` (heading texts or snippets), MathJax output and figures"
    rel = page.relative_to(site).as_posix(); url = server.url + rel
    shot = shots/(rel.replace('/', '_').removesuffix('.html') + '.png')
    try:
        browse(exe, url, f'--screenshot={shot}')
        check(f'{rel}: screenshot {shot.relative_to(ROOT) if ROOT in shot.parents else shot}',
              shot.is_file() and shot.read_bytes()[:8] == PNG and shot.stat().st_size > 10_000,
              f'{shot} missing or empty')
        server.served.clear()
        dom = Page(browse(exe, url, '--dump-dom'))
    except (RuntimeError, subprocess.TimeoutExpired) as e: return check(f'{rel}: opens in chromium', False, str(e))
    text = ' '.join(''.join(dom.text).split())
    heads = [h for _, h in dom.headings]
    for e in expect:
        check(f'{rel}: shows "{e}"', e in heads or e in text, f'headings are {heads[:30]}')
    if math:
        check(f'{rel}: math typeset by MathJax', 'mjx-container' in dom.tags, 'no <mjx-container> in the DOM')
    if figures:
        imgs = [s for s in dom.imgs if '_images/' in s]
        check(f'{rel}: has figures', len(imgs) > 0, f'no <img> under _images/ among {dom.imgs}')
        for src in imgs:
            path = urllib.parse.unquote(urllib.parse.urlsplit(urllib.parse.urljoin(url, src)).path)
            try:
                with urllib.request.urlopen(urllib.parse.urljoin(url, src), timeout=30) as r: data = r.read()
            except urllib.error.URLError as e: data = str(e).encode()
            fetched = (path, 200) in server.served
            check(f'{rel}: figure {src} is a PNG the browser loaded ({len(data)} bytes)',
                  data[:8] == PNG and len(data) > 1000 and fetched,
                  f'PNG signature {data[:8] == PNG}, {len(data)} bytes, fetched by the browser: {fetched} ({data[:60]!r})')

def check_code_whole(exe, server, site, page:Path):
    "Every <pre> (code, signatures, text outputs) and table that `page` shows in a 1280 px window fits its box"
    rel = page.relative_to(site).as_posix()
    try: dom = Page(browse(exe, server.url + PROBE.lstrip('/') + '#' + urllib.parse.quote(rel), '--dump-dom'))
    except (RuntimeError, subprocess.TimeoutExpired) as e: return check(f'{rel}: opens in chromium', False, str(e))
    m = re.search(r'PRE (\{.*\})', ''.join(dom.text))
    if not check(f'{rel}: the code-width probe ran', m is not None, 'the probe page did not report'): return
    res = json.loads(m.group(1))
    check(f"{rel}: code blocks and tables shown whole ({res['shown']} <pre>, {res['tables']} tables, none wider than its box)",
          res['shown'] + res['tables'] > 0 and not res['wide'], f"{len(res['wide'])} cut at the right edge:\n    " + '\n    '.join(res['wide'][:10]))

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--site', type=Path, default=ROOT/'_site')
    ap.add_argument('--screenshots', type=Path, default=ROOT/'_site_screenshots')
    args = ap.parse_args()
    site, shots = args.site.resolve(), args.screenshots.resolve()
    if not (site/'index.html').is_file(): raise SystemExit(f'no site at {site}: run python tools/build_docs.py first')
    shutil.rmtree(shots, ignore_errors=True); shots.mkdir(parents=True)
    exe = chromium()
    print(subprocess.run([exe, '--version'], capture_output=True, text=True).stdout.strip(), flush=True)
    server = Server(site)
    try:
        nav = ['Models'] + (['Tutorials'] if (site/'tutorials').is_dir() else [])  # sidebar sections
        check_page(exe, server, site, shots, site/'index.html', ['spivae', 'Install', 'How to use', *nav])
        check_page(exe, server, site, shots, site/'04_models.html',
                   ['Models', 'VAEConv1d', 'VAEWaveNet', 'class VAEWaveNet(', 'VAE with autoregressive decoder',
                    'VAEWaveNet.sample_batch'], math=True)
        fig = figure_page(site)
        if check('a tutorial or notebook page has a figure', fig is not None, 'no page has an <img> under _images/'):
            title = Page(fig.read_text(encoding='utf-8')).headings[0][1]
            check_page(exe, server, site, shots, fig, [title], figures=True)
        for page in sorted(site.rglob('*.html')):
            if page.name not in ('genindex.html', 'search.html') and {'pre', 'table'} & Page(page.read_text(encoding='utf-8')).tags:
                check_code_whole(exe, server, site, page)
    finally: server.httpd.shutdown()
    crawl(site)
    passed, failed = results.count(True), results.count(False)
    print(f'screenshots in {shots}')
    print(f'{passed} passed, {failed} failed')
    sys.exit(1 if failed else 0)

if __name__ == '__main__': main()
