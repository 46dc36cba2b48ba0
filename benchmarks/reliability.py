"""Benchmark: fault injection on the public API (issue 16, items 3 and 4).

Every scenario runs in a fresh worker process started with `PYTHONPATH=SRC`, so it imports the `spivae` of the source
tree given by `--src` (the worker checks that it did). Inside a worker every attempt runs in a forked child with a
timeout, so a crash, a hang or a signal of the code under test is an outcome that is counted, not a failure of the
benchmark. Tiny models and data sets (T = 32 positions, CPU, one thread) keep the whole run at a few minutes.

Scenarios (the counts are command-line options):

- a. SIGKILL during checkpoint writes: a child rewrites a checkpoint over an existing one in a loop (two models, A and
  B, in turn) and is killed after a random delay; the file must load and equal A or B; `*.tmp` leftovers are counted
  before and after one more `save_model` to the same path.
- b. SIGKILL during cache writes: a child calls `load_data` for new exponents (FBM, then SBM) in a cache folder that
  already holds two entries and is killed after a random delay; entries that existed must still be there (probed
  with data generation disabled, so a lost entry cannot be silently regenerated), the next load must return the
  data of a single-process reference, leftovers before and after that load.
- c. Concurrent cache builders: P processes x M rounds, each round starting together (a barrier), every process
  loading a different exponent into the same empty cache folder; entries lost (probed as in b), processes that raised,
  crashed or hung, processes that got wrong data (against the reference built in a separate folder).
- d. Truncation and bit flips of a checkpoint and of an FBM and an SBM cache: one random bit flipped per try (position
  uniform over the file's bytes, or over the cache folder's bytes), plus a few truncation lengths; outcome: detected
  (an error, or a rebuild with a warning that returns the reference data), loaded identical (a harmless flip), silently
  wrong (weights, arguments or data differ, no error), crash or hang.
- e. NaN injected into the training targets from epoch k, and a huge learning rate (overflow), with
  `fit_beta_schedule(..., cbs=[StagedCheckpoint(..., every_epoch=True)])`: stopped by an exception or finished
  silently, checkpoints written with non-finite weights (read with safetensors directly), the last good checkpoint
  kept, loadable and finite.
- f. SIGINT during training (the same fit, endless) and during generation (`spivae_generate`, which calls
  `VAEWaveNet.generate` and writes an `.npz`), after a random delay: exit with KeyboardInterrupt, partial files left.
- g. File modes under umask 022 of a checkpoint, of the FBM and SBM cache files and of a generated `.npz`.

Run (about 2 minutes on 2 cores at a load of 1-2; the JSON keeps every attempt's record):
    python benchmarks/reliability.py --src /work/before --out benchmarks/results/reliability_before.json
    python benchmarks/reliability.py --src . --out benchmarks/results/reliability_after.json
    python benchmarks/reliability.py --report benchmarks/results/reliability_before.json benchmarks/results/reliability_after.json
`--only abd` runs some scenarios, `--quick` runs tiny counts (a smoke test of the script itself).
"""
import argparse, json, os, random, re, select, shutil, signal, subprocess, sys, tempfile, time, traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIOS = dict(a='SIGKILL during checkpoint writes', b='SIGKILL during cache writes', c='concurrent cache builders',
                 d='truncation and bit flips', e='NaN and overflow in training', f='SIGINT during training and generation',
                 g='file modes under umask 022')
DEFAULTS = dict(seed=0, T=32, N=16, a_tries=100, b_tries=40, c_procs=4, c_rounds=4, c_reps=5, d_flips_ckpt=200,
                d_flips_cache=100, e_nan_epochs='1,2,3', e_lrs='1,10,1000', e_epochs=4, f_train_tries=10, f_gen_tries=10,
                f_max_delay=3.0, f_gen_steps=6000, child_timeout=60.0, scenario_timeout=300.0)
QUICK = dict(a_tries=4, b_tries=3, c_procs=2, c_rounds=2, c_reps=1, d_flips_ckpt=6, d_flips_cache=4, e_nan_epochs='2',
             e_lrs='10', f_train_tries=1, f_gen_tries=1, f_gen_steps=2000)
NO_GEN = 'RELIABILITY-BENCHMARK: data generation disabled by the probe'
WARN_WORDS = re.compile(r'corrupt|rebuil|checksum|regenerat|damaged|invalid|truncat|mismatch', re.I)

# ---------------------------------------------------------------------------------------------------------------------
# process helpers (worker side; stdlib only)

def _default(o):
    if hasattr(o, 'item') and getattr(o, 'ndim', 0) == 0: return o.item()
    if hasattr(o, 'tolist'): return o.tolist()
    return str(o)

def _msg(e): return f"{type(e).__name__}: {e}"[:600]

def _redirect(log):
    fd = os.open(log or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1); os.dup2(fd, 2); os.close(fd)

def _write_all(fd, data):
    while data: data = data[os.write(fd, data):]

def _read_until(fd, deadline, stop_after_lines=None):
    "Bytes read from `fd` until EOF, `deadline`, or (if given) once `stop_after_lines` complete lines arrived; (data, eof)"
    buf = b''
    while True:
        if stop_after_lines is not None and buf.count(b'\n') >= stop_after_lines: return buf, False
        left = deadline - time.monotonic()
        if left <= 0: return buf, False
        r, _, _ = select.select([fd], [], [], left)
        if not r: continue
        chunk = os.read(fd, 65536)
        if not chunk: return buf, True
        buf += chunk

def _exit_info(status):
    if os.WIFSIGNALED(status): return dict(signal=os.WTERMSIG(status))
    return dict(exit_code=os.WEXITSTATUS(status))

def _own_tqdm_lock():
    """Give a forked child its own tqdm write lock. tqdm guards its bars with a multiprocessing lock that forked
    processes share; a child SIGKILLed inside an andi-datasets progress bar leaves it held, and every later fork of
    the same worker then hangs in tqdm (seen in scenario b). Fresh processes never share it."""
    import threading
    for name in ('tqdm.std', 'tqdm.auto', 'tqdm.asyncio'):
        if name in sys.modules: sys.modules[name].tqdm.set_lock(threading.RLock())

def run_forked(fn, timeout, log=None):
    "Run `fn()` in a forked child: dict(status='ok', value) | ('error', type, msg) | ('crash', signal/exit_code) | ('hang')"
    sys.stdout.flush(); sys.stderr.flush()
    r, w = os.pipe()
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r); _redirect(log); _own_tqdm_lock()
            try: res = dict(status='ok', value=fn())
            except BaseException as e: res = dict(status='error', type=type(e).__name__, msg=_msg(e))
            _write_all(w, json.dumps(res, default=_default).encode())
        finally: os._exit(0)
    os.close(w)
    data, eof = _read_until(r, t0 + timeout)
    os.close(r)
    if not eof:
        os.kill(pid, signal.SIGKILL); os.waitpid(pid, 0)
        return dict(status='hang', seconds=round(time.monotonic() - t0, 3))
    _, st = os.waitpid(pid, 0)
    try: res = json.loads(data)
    except ValueError: res = dict(status='crash', **_exit_info(st))
    res['seconds'] = round(time.monotonic() - t0, 3)
    return res

def run_signalled(loop, delay, sig, timeout, wait_ready=False, grace=30.0, log=None):
    """Fork a child running `loop(report)` (report(obj) sends a JSON line back), send it `sig` after `delay` seconds
    (counted from its first report if `wait_ready`); the child's reports and how it ended"""
    sys.stdout.flush(); sys.stderr.flush()
    r, w = os.pipe()
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r); _redirect(log); _own_tqdm_lock()
            report = lambda obj: _write_all(w, (json.dumps(obj, default=_default) + '\n').encode())
            try:
                loop(report)
                report(dict(end='returned'))
            except KeyboardInterrupt: report(dict(end='KeyboardInterrupt'))
            except BaseException as e: report(dict(end='exception', type=type(e).__name__, msg=_msg(e)))
        finally: os._exit(0)
    os.close(w)
    buf, eof, ready_after = b'', False, None
    if wait_ready:
        buf, eof = _read_until(r, t0 + timeout, stop_after_lines=1)
        ready_after = round(time.monotonic() - t0, 3)
    sent = False
    if not eof and (not wait_ready or buf.count(b'\n') >= 1):
        time.sleep(delay)
        try: os.kill(pid, sig); sent = True
        except ProcessLookupError: pass
    if sig == signal.SIGKILL or not sent: more, eof = _read_until(r, time.monotonic() + (grace if not eof else 0.01))
    else: more, eof = _read_until(r, time.monotonic() + grace)
    buf += more
    hang = False
    if not eof:
        hang = True
        os.kill(pid, signal.SIGKILL)
        more, _ = _read_until(r, time.monotonic() + 5); buf += more
    os.close(r)
    _, st = os.waitpid(pid, 0)
    lines = []
    for ln in buf.decode(errors='replace').splitlines():
        try: lines.append(json.loads(ln))
        except ValueError: pass
    ends = [x for x in lines if isinstance(x, dict) and 'end' in x]
    return dict(reports=[x for x in lines if not (isinstance(x, dict) and 'end' in x)], end=ends[-1] if ends else None,
                signal_sent=sent, hang=hang, ready_after=ready_after, seconds=round(time.monotonic() - t0, 3), **_exit_info(st))

def _is_tmp(name):
    n = name.lower()
    return (n.endswith(('.tmp', '.part', '.partial', '~')) or n.startswith(('.tmp', 'tmp')) or '.tmp.' in n or '.tmp-' in n)

def leftovers(folder):
    "Temporary files and folders under `folder`: (count, bytes, names)"
    names, size = [], 0
    for root, dirs, files in os.walk(folder):
        for d in [d for d in dirs if _is_tmp(d)]:
            names.append(os.path.relpath(os.path.join(root, d), folder) + '/')
            for r2, _, f2 in os.walk(os.path.join(root, d)): size += sum(os.path.getsize(os.path.join(r2, f)) for f in f2)
        dirs[:] = [d for d in dirs if not _is_tmp(d)]
        for f in files:
            if _is_tmp(f):
                names.append(os.path.relpath(os.path.join(root, f), folder)); size += os.path.getsize(os.path.join(root, f))
    return dict(n=len(names), bytes=size, names=sorted(names)[:5])

def data_files(folder):
    "Regular non-empty files under `folder` that are not temporary: relative paths and sizes"
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not _is_tmp(d))
        for f in sorted(files):
            p = os.path.join(root, f)
            if not _is_tmp(f) and os.path.getsize(p) > 0: out.append((os.path.relpath(p, folder), os.path.getsize(p)))
    return out

def flip_bit(path, pos, bit):
    with open(path, 'r+b') as f:
        f.seek(pos); b = f.read(1)[0]; f.seek(pos); f.write(bytes([b ^ (1 << bit)]))

def truncate(path, n):
    with open(path, 'r+b') as f: f.truncate(n)

# ---------------------------------------------------------------------------------------------------------------------
# worker

class Worker:
    def __init__(self, scenario, p, result):
        import numpy as np, torch
        torch.set_num_threads(1)
        import spivae, spivae.data as sd, spivae.train as st, spivae.callbacks as sc, spivae.models as sm
        src = Path(p['src']).resolve()
        if src not in Path(spivae.__file__).resolve().parents:
            raise RuntimeError(f"imported spivae from {spivae.__file__}, not from --src {src}")
        self.np, self.torch, self.sd, self.st, self.sc, self.sm = np, torch, sd, st, sc, sm
        self.p, self.scenario, self.src = p, scenario, src
        self.work = Path(p['workdir']); self.work.mkdir(parents=True, exist_ok=True)
        self.logs = self.work / 'logs'; self.logs.mkdir(exist_ok=True)
        self.out = open(result, 'a')
        self.T, self.N = p['T'], p['N']
        self.D = [1e-3, 1e-2]
        self.timeout = p['child_timeout']
        self.tiny = dict(o_dim=self.T - 1, nf=[8]*2, encoder=[32], decoder=[32], avg_size=8, z_dim=4, res_channels=8,
                         skip_channels=8, c_channels=4, layer_size=3)
        self.wide = {**self.tiny, 'nf': [16]*2, 'encoder': [128], 'decoder': [128], 'res_channels': 32, 'skip_channels': 32}
        self.emit(kind='info', spivae_file=spivae.__file__, spivae_version=getattr(spivae, '__version__', None),
                  torch=torch.__version__, numpy=np.__version__)

    def rng(self, sub=''): return random.Random(f"{self.p['seed']}:{self.scenario}:{sub}")
    def emit(self, **rec): self.out.write(json.dumps(rec, default=_default) + '\n'); self.out.flush()
    def log(self, name): return str(self.logs / f'{name}.log')

    # data -------------------------------------------------------------------------------------------------------------
    def ds_args(self, path, model, alpha, bs=4):
        return dict(path=str(path), model=model, N=self.N, T=self.T, D=list(self.D), alpha=[float(a) for a in alpha],
                    seed=0, bs=bs, device='cpu')

    def load(self, path, model, alpha):
        "`load_data` of the request; its train and valid trajectories, concatenated"
        dls = self.sd.load_data(self.ds_args(path, model, alpha))
        tr, va = dls.train.dataset, dls.valid.dataset
        np = self.np
        return (np.concatenate([tr.disp.numpy(), va.disp.numpy()]), np.concatenate([tr.alpha, va.alpha]),
                np.concatenate([tr.D, va.D]))

    def dataset(self, path, model, alpha):
        "`fbm_dataset` / `sbm_dataset` of the request: (disp, alpha, D)"
        fn = self.sd.fbm_dataset if model == 'fbm' else self.sd.sbm_dataset
        t = fn(str(path), self.N, self.T, [float(a) for a in alpha], list(self.D), seed=0)
        return t.disp.numpy(), self.np.asarray(t.alpha), self.np.asarray(t.D)

    def same(self, a, b): return all(self.np.array_equal(x, y) for x, y in zip(a, b))

    def disable_generation(self):
        "Make any generation of trajectories raise (in a forked child only): a load must then come from the cache"
        def no_gen(*a, **k): raise RuntimeError(NO_GEN)
        import andi_datasets.datasets_theory as adt
        adt.datasets_theory.create_dataset = no_gen
        self.np.random.default_rng = no_gen
        if hasattr(self.sd, 'sbm_displacements'): self.sd.sbm_displacements = no_gen

    def probe(self, path, model, alpha):
        "In a forked child: is the entry of `alpha` in the cache, with the reference data? 'right', 'wrong' or 'lost'"
        def go():
            self.disable_generation()
            try: got = self.dataset(path, model, [alpha])
            except Exception as e:
                if NO_GEN in _msg(e) or NO_GEN in repr(e.__cause__) or NO_GEN in repr(e.__context__): return 'lost'
                raise
            return 'right' if self.same(got, self.ref_ds[model][alpha]) else 'wrong'
        r = run_forked(go, self.timeout, self.log('probe'))
        return r['value'] if r['status'] == 'ok' else r['status'] + (f": {r.get('msg', '')}" if r['status'] == 'error' else '')

    def references(self, model, alphas, multi=()):
        "Single-process reference data, built in a separate folder"
        ref = self.work / f'ref_{model}'
        self.ref_ld = getattr(self, 'ref_ld', {}); self.ref_ds = getattr(self, 'ref_ds', {})
        self.ref_ld.setdefault(model, {}); self.ref_ds.setdefault(model, {})
        for al in alphas:
            self.ref_ld[model][al] = self.load(ref, model, [al])
            self.ref_ds[model][al] = self.dataset(ref, model, [al])
        for key in multi: self.ref_ds[model][key] = self.dataset(ref, model, list(key))

    # models -----------------------------------------------------------------------------------------------------------
    def model(self, args, seed):
        self.torch.manual_seed(seed)
        return self.sm.VAEWaveNet(**args)

    def state(self, m): return {k: v.detach().clone() for k, v in m.state_dict().items()}
    def same_state(self, a, b): return a.keys() == b.keys() and all(self.torch.equal(a[k], b[k]) for k in a)

    def raw_checkpoint(self, path):
        "Read a checkpoint with safetensors itself (no spivae checks): finite?, max |w|, train_state"
        from safetensors import safe_open
        with safe_open(str(path), framework='pt', device='cpu') as f:
            meta = f.metadata() or {}
            ts = [f.get_tensor(k) for k in f.keys() if not k.startswith('optimizer/')]
        fl = [t for t in ts if t.is_floating_point()]
        finite = all(bool(self.torch.isfinite(t).all()) for t in fl)
        mx = max((float(t.abs().max()) for t in fl if t.numel()), default=0.)
        return dict(finite=finite, max_abs=mx, train_state=json.loads(meta.get('train_state', '{}') or '{}'))

    # a ----------------------------------------------------------------------------------------------------------------
    def scen_a(self):
        st, p = self.st, self.p
        A, B = self.model(self.wide, 1), self.model(self.wide, 2)
        sA, sB = self.state(A), self.state(B)
        ds = self.ds_args(self.work / 'data', 'fbm', [0.5])
        cal = self.work / 'a_cal' / 'ckpt.safetensors'
        st.save_model(cal, A, self.wide, ds)
        t0 = time.perf_counter()
        for j in range(10): st.save_model(cal, B if j % 2 else A, self.wide, ds)
        t_write = (time.perf_counter() - t0) / 10
        max_delay = 6 * t_write
        self.emit(kind='info', t_write=t_write, size=os.path.getsize(cal), max_delay=max_delay)

        def which(path):
            m, ma, _ = st.load_checkpoint(path)
            s = self.state(m)
            return 'A' if self.same_state(s, sA) else 'B' if self.same_state(s, sB) else 'other'
        rng = self.rng()
        for i in range(p['a_tries']):
            d = self.work / f'a{i:03d}'; d.mkdir()
            path = d / 'ckpt.safetensors'
            st.save_model(path, A, self.wide, ds)
            delay = rng.uniform(0, max_delay)
            def loop(report):
                j = 0
                while True:
                    st.save_model(path, B if j % 2 == 0 else A, self.wide, ds)
                    j += 1; report(j)
            k = run_signalled(loop, delay, signal.SIGKILL, self.timeout)
            writes = k['reports'][-1] if k['reports'] else 0
            before = leftovers(d)
            got = run_forked(lambda: which(path), self.timeout, self.log('a'))
            nxt = run_forked(lambda: (st.save_model(path, A, self.wide, ds), which(path))[1], self.timeout, self.log('a'))
            after = leftovers(d)
            self.emit(kind='try', i=i, delay=delay, writes_done=writes, child_end=k['end'], killed=k.get('signal'),
                      file=got, next_write=nxt, leftovers_before=before, leftovers_after=after)

    # b ----------------------------------------------------------------------------------------------------------------
    def scen_b(self):
        p = self.p
        pre = [0.5, 1.0]
        new = [round(0.11 + 0.01 * j, 2) for j in range(12)]
        for model in ('fbm', 'sbm'):
            self.references(model, pre + new)
            tpl = self.work / f'b_{model}_template'
            for al in pre: self.load(tpl, model, [al])
            cal = self.work / f'b_{model}_cal'; shutil.copytree(tpl, cal)
            t0 = time.perf_counter()
            for al in new[:4]: self.load(cal, model, [al])
            t_load = (time.perf_counter() - t0) / 4
            max_delay = 6 * t_load
            self.emit(kind='info', model=model, t_load=t_load, max_delay=max_delay)
            rng = self.rng(model)
            for i in range(p['b_tries']):
                d = self.work / f'b_{model}{i:03d}'; shutil.copytree(tpl, d)
                delay = rng.uniform(0, max_delay)
                def loop(report):
                    for j, al in enumerate(new):
                        self.load(d, model, [al]); report(j + 1)
                    while True: time.sleep(1)
                k = run_signalled(loop, delay, signal.SIGKILL, self.timeout)
                done = k['reports'][-1] if k['reports'] else 0
                before = leftovers(d)
                existing = pre + new[:done]
                probes = {str(al): self.probe(d, model, al) for al in existing}
                nxt_al = new[done] if done < len(new) else new[0]
                nxt = run_forked(lambda: 'right' if self.same(self.load(d, model, [nxt_al]), self.ref_ld[model][nxt_al]) else 'wrong',
                                 self.timeout, self.log('b'))
                after = leftovers(d)
                self.emit(kind='try', model=model, i=i, delay=delay, loads_done=done, child_end=k['end'], probes=probes,
                          next_alpha=nxt_al, next_load=nxt, leftovers_before=before, leftovers_after=after)

    # c ----------------------------------------------------------------------------------------------------------------
    def scen_c(self):
        import multiprocessing as mp
        p = self.p
        P, M = p['c_procs'], p['c_rounds']
        alphas = [round(a, 2) for a in self.np.round(self.np.linspace(0.1, 1.9, P * M), 2).tolist()]
        for model in ('fbm', 'sbm'):
            self.references(model, alphas)
            for rep in range(p['c_reps']):
                d = self.work / f'c_{model}{rep}'
                barrier = mp.get_context('fork').Barrier(P)
                kids = []
                sys.stdout.flush(); sys.stderr.flush()
                for q in range(P):
                    r, w = os.pipe()
                    pid = os.fork()
                    if pid == 0:
                        try:
                            os.close(r); _redirect(self.log('c'))
                            for rd in range(M):
                                try: barrier.wait(timeout=60)
                                except Exception: pass
                                al = alphas[q * M + rd]
                                try: res = 'right' if self.same(self.load(d, model, [al]), self.ref_ld[model][al]) else 'wrong'
                                except Exception as e: res = 'error: ' + _msg(e)
                                _write_all(w, (json.dumps(dict(round=rd, alpha=al, result=res)) + '\n').encode())
                        finally: os._exit(0)
                    os.close(w); kids.append((pid, r))
                deadline = time.monotonic() + self.timeout
                procs = []
                for q, (pid, r) in enumerate(kids):
                    data, eof = _read_until(r, deadline)
                    os.close(r)
                    if not eof: os.kill(pid, signal.SIGKILL)
                    _, stt = os.waitpid(pid, 0)
                    rounds = [json.loads(x) for x in data.decode().splitlines() if x.strip()]
                    procs.append(dict(proc=q, hang=not eof, rounds=rounds, **_exit_info(stt)))
                before = leftovers(d)
                probes = {str(al): self.probe(d, model, al) for al in alphas}
                self.emit(kind='try', model=model, rep=rep, procs=procs, probes=probes, leftovers=before)

    # d ----------------------------------------------------------------------------------------------------------------
    def scen_d(self):
        st, p = self.st, self.p
        # checkpoint
        A = self.model(self.wide, 1); sA = self.state(A)
        ds = self.ds_args(self.work / 'data', 'fbm', [0.5])
        tpl = self.work / 'd_ckpt.safetensors'
        st.save_model(tpl, A, self.wide, ds)
        raw = tpl.read_bytes(); L = len(raw); hlen = int.from_bytes(raw[:8], 'little')
        self.emit(kind='info', target='checkpoint', size=L, header_bytes=8 + hlen)
        rng = self.rng('ckpt')
        tries = [('flip', rng.randrange(L), rng.randrange(8)) for _ in range(p['d_flips_ckpt'])]
        tries += [('truncate', n, None) for n in sorted({0, 8, 8 + hlen // 2, 8 + hlen, L // 2, L - 1})]
        def classify(path):
            m, ma, dsa = st.load_checkpoint(path)
            same = self.same_state(self.state(m), sA) and json.dumps(ma, sort_keys=True) == json.dumps(self.wide, sort_keys=True) \
                and json.dumps(dsa, sort_keys=True) == json.dumps(ds, sort_keys=True)
            if same: return 'identical'
            return 'wrong weights' if not self.same_state(self.state(m), sA) else 'wrong arguments'
        for i, (kind, pos, bit) in enumerate(tries):
            f = self.work / 'd_try' / f'ckpt{i:03d}.safetensors'; f.parent.mkdir(exist_ok=True)
            shutil.copyfile(tpl, f)
            flip_bit(f, pos, bit) if kind == 'flip' else truncate(f, pos)
            r = run_forked(lambda: classify(f), self.timeout, self.log('d'))
            self.emit(kind='try', target='checkpoint', fault=kind, pos=pos, bit=bit,
                      region=('header' if pos < 8 + hlen else 'tensors') if kind == 'flip' else None,
                      result=r, names_file=f.name in r.get('msg', ''))
            f.unlink()
        # caches
        import warnings
        alphas = (0.5, 1.0)
        for model in ('fbm', 'sbm'):
            self.references(model, [], multi=[alphas])
            ref = self.ref_ds[model][alphas]
            tpl = self.work / f'd_{model}_template'
            self.dataset(tpl, model, list(alphas))
            files = data_files(tpl)
            total = sum(s for _, s in files)
            self.emit(kind='info', target=model, files=files)
            rng = self.rng(model)
            tries = []
            for _ in range(p['d_flips_cache']):
                x = rng.randrange(total)
                for rel, s in files:
                    if x < s: tries.append(('flip', rel, x, rng.randrange(8))); break
                    x -= s
            big, bsize = max(files, key=lambda t: t[1])
            tries += [('truncate', big, n, None) for n in sorted({0, bsize // 10, bsize // 2, bsize - 8, bsize - 1})]
            for i, (kind, rel, pos, bit) in enumerate(tries):
                d = self.work / f'd_{model}{i:03d}'; shutil.copytree(tpl, d)
                flip_bit(d / rel, pos, bit) if kind == 'flip' else truncate(d / rel, pos)
                log = self.log(f'd_{model}{i:03d}')
                def go():
                    with warnings.catch_warnings(record=True) as ws:
                        warnings.simplefilter('always')
                        got = self.dataset(d, model, list(alphas))
                    sys.stdout.flush(); sys.stderr.flush()
                    text = Path(log).read_text(errors='replace') if os.path.exists(log) else ''
                    msgs = [str(w.message)[:300] for w in ws]
                    warned = any(WARN_WORDS.search(m) for m in msgs) or bool(WARN_WORDS.search(text))
                    return dict(equal=self.same(got, ref), warned=warned, warnings=msgs[:3])
                r = run_forked(go, self.timeout, log)
                msg = r.get('msg', '')
                self.emit(kind='try', target=model, fault=kind, file=rel, pos=pos, bit=bit, result=r,
                          names_file=Path(rel).name in msg or str(d) in msg)
                shutil.rmtree(d, ignore_errors=True)

    # e ----------------------------------------------------------------------------------------------------------------
    def fit_child(self, folder, data, nan_from=None, lr=1e-3, stages=None, seed=0, report=None):
        "Train the tiny model with StagedCheckpoint(every_epoch=True); NaN targets from epoch `nan_from` (0-based)"
        from fastai.callback.core import Callback
        torch = self.torch
        class NaNTargets(Callback):
            order = 1
            def before_batch(self_):
                if self_.training and nan_from is not None and self_.epoch >= nan_from:
                    y = self_.learn.yb[0].clone(); y.view(-1)[-1] = float('nan'); self_.learn.yb = (y,)  # a scored position
        torch.manual_seed(seed)
        dsa = self.ds_args(data, 'fbm', [0.5, 1.0], bs=8)
        dls = self.sd.load_data(dsa)
        model = self.sm.VAEWaveNet(**self.tiny)
        learn = self.st.spivae_learner(dls, model, path=str(folder))
        cbs = [self.sc.StagedCheckpoint(folder, self.tiny, dsa, every_epoch=True), NaNTargets()]
        if report: report('ready')
        with learn.no_bar(), learn.no_logging():
            learn.fit_beta_schedule(self.sc.StagedBeta(stages), lr_max=float(lr), cbs=cbs)
        losses = [float(x) for x in learn.recorder.losses]
        return dict(final_train_loss=losses[-1] if losses else None, max_train_loss=max(losses) if losses else None)

    def inspect(self, folder):
        "Every checkpoint of `folder`: read raw with safetensors (finite?) and with load_checkpoint (loads?)"
        def go():
            out = []
            for f in sorted(Path(folder).glob('*.safetensors')):
                rec = dict(name=f.name, mtime=f.stat().st_mtime_ns, size=f.stat().st_size)
                try: rec.update(self.raw_checkpoint(f))
                except Exception as e: rec['raw_error'] = _msg(e)
                try: self.st.load_checkpoint(f); rec['loads'] = True
                except Exception as e: rec['loads'] = False; rec['load_error'] = _msg(e)
                out.append(rec)
            return out
        return run_forked(go, self.timeout, self.log('inspect'))

    def data_template(self):
        data = self.work / 'data'
        self.load(data, 'fbm', [0.5, 1.0])
        return data

    def scen_e(self):
        p = self.p
        data = self.data_template()
        n_ep = p['e_epochs']
        stages = [(n_ep // 2, 0.), (n_ep - n_ep // 2, 1e-4)]
        tries = [('nan', int(k), 1e-3) for k in str(p['e_nan_epochs']).split(',') if k.strip()]
        tries += [('overflow', None, float(lr)) for lr in str(p['e_lrs']).split(',') if lr.strip()]
        for i, (kind, k, lr) in enumerate(tries):
            folder = self.work / f'e{i:02d}'; folder.mkdir()
            r = run_forked(lambda: self.fit_child(folder, data, nan_from=k, lr=lr, stages=stages, seed=i), self.timeout,
                           self.log(f'e{i:02d}'))
            ck = self.inspect(folder)
            self.emit(kind='try', fault=kind, nan_from_epoch=k, lr=lr, n_epoch=n_ep, stages=stages, result=r, checkpoints=ck,
                      last_good=f'spivae_epoch{k:03d}.safetensors' if kind == 'nan' else None, leftovers=leftovers(folder))

    # f ----------------------------------------------------------------------------------------------------------------
    def scen_f(self):
        p = self.p
        data = self.data_template()
        rng = self.rng('train')
        for i in range(p['f_train_tries']):
            folder = self.work / f'f_train{i:02d}'; folder.mkdir()
            delay = rng.uniform(0, p['f_max_delay'])
            loop = lambda report: self.fit_child(folder, data, stages=[(100000, 0.)], seed=i, report=report)
            k = run_signalled(loop, delay, signal.SIGINT, self.timeout, wait_ready=True, log=self.log(f'f_train{i:02d}'))
            self.emit(kind='try', target='training', i=i, delay=delay, child=k, leftovers=leftovers(folder),
                      checkpoints=self.inspect(folder))
        # generation from a briefly trained checkpoint
        from spivae.cli import spivae_generate
        ck_dir = self.work / 'f_ckpt'; ck_dir.mkdir()
        r = run_forked(lambda: self.fit_child(ck_dir, data, stages=[(2, 0.)]), self.timeout, self.log('f_ckpt'))
        ckpt = ck_dir / 'spivae_stage0.safetensors'
        steps = p['f_gen_steps']
        gen = lambda out: spivae_generate(checkpoint=str(ckpt), out=str(out), sweep='0:-1:1:4', samples=4, steps=steps,
                                          seed=0, device='cpu', quiet=True)
        cal = self.work / 'f_gen_cal'; cal.mkdir()
        c = run_forked(lambda: gen(cal / 'gen.npz') and None, self.timeout, self.log('f_gen'))
        t_gen = c['seconds']
        self.emit(kind='info', target='generation', checkpoint_fit=r, calibration=c, t_gen=t_gen)
        rng = self.rng('gen')
        def check(out):
            def go():
                files = sorted(x.name for x in out.iterdir())
                bad = []
                for x in out.iterdir():
                    if _is_tmp(x.name): bad.append(x.name); continue
                    try:
                        with self.np.load(x) as z: z['displacements']
                    except Exception: bad.append(x.name)
                return dict(files=files, partial=bad)
            return run_forked(go, self.timeout, self.log('f_gen'))
        for i in range(p['f_gen_tries']):
            out = self.work / f'f_gen{i:02d}'; out.mkdir()
            delay = rng.uniform(0, t_gen)
            def loop(report):
                report('ready'); gen(out / 'gen.npz')
            k = run_signalled(loop, delay, signal.SIGINT, self.timeout, wait_ready=True, log=self.log(f'f_gen{i:02d}'))
            self.emit(kind='try', target='generation', i=i, delay=delay, child=k, leftovers=leftovers(out), files=check(out))

    # g ----------------------------------------------------------------------------------------------------------------
    def scen_g(self):
        data = self.work / 'g_data'
        def go():
            os.umask(0o022)
            m = self.model(self.tiny, 0)
            self.st.save_model(self.work / 'g_ckpt' / 'ckpt.safetensors', m, self.tiny)
            self.load(data, 'fbm', [0.5]); self.load(data, 'sbm', [0.5])
            from spivae.cli import spivae_generate
            spivae_generate(checkpoint=str(self.work / 'g_ckpt' / 'ckpt.safetensors'), out=str(self.work / 'g_gen' / 'gen.npz'),
                            sweep='0:-1:1:2', steps=50, seed=0, device='cpu', quiet=True)
            modes = {}
            for sub in ('g_ckpt', 'g_data', 'g_gen'):
                for root, _, files in os.walk(self.work / sub):
                    for f in files:
                        q = Path(root) / f
                        modes[str(q.relative_to(self.work))] = oct(q.stat().st_mode & 0o777)
            return modes
        self.emit(kind='try', umask='022', result=run_forked(go, self.timeout, self.log('g')))


def worker_main(scenario, params, result):
    w = Worker(scenario, json.loads(Path(params).read_text()), result)
    getattr(w, f'scen_{scenario}')()

# ---------------------------------------------------------------------------------------------------------------------
# summaries (orchestrator side)

def _frac(k, n): return f"{k} / {n}"

def _status(r):
    "'ok', 'error: Type', 'crash (signal N)', 'hang' of a run_forked result"
    if r is None: return 'missing'
    s = r.get('status')
    if s == 'error': return f"error: {r.get('type')}"
    if s == 'crash': return f"crash ({'signal ' + str(r['signal']) if 'signal' in r else 'exit ' + str(r.get('exit_code'))})"
    return s

def _counts(items):
    out = {}
    for x in items: out[x] = out.get(x, 0) + 1
    return ', '.join(f"{v} {k}" for k, v in sorted(out.items(), key=lambda kv: -kv[1])) or '-'

def _first(msgs, n=1):
    seen = []
    for m in msgs:
        if m and m not in seen: seen.append(m)
    return seen[:n]

def summarize(s, recs, p):
    "Rows (key, scenario label, measure, value) of one scenario's records"
    tries = [r for r in recs if r.get('kind') == 'try']
    rows = []
    def row(key, measure, value, label=None): rows.append(dict(key=f'{s}.{key}', scenario=label or f'{s}. {SCENARIOS[s]}', measure=measure, value=value))
    if s == 'a':
        n = len(tries)
        lab = f"a. SIGKILL during checkpoint writes ({n} tries)"
        ok = sum(1 for t in tries if t['file'].get('value') in ('A', 'B'))
        row('complete', 'file afterwards loads and is the old or the new complete checkpoint', _frac(ok, n), lab)
        bad = [('other weights' if t['file'].get('value') == 'other' else _status(t['file'])) for t in tries if t['file'].get('value') not in ('A', 'B')]
        row('incomplete', 'file afterwards unreadable, missing or mixed', f"{_frac(len(bad), n)}" + (f" ({_counts(bad)})" if bad else ''), lab)
        lb = [t['leftovers_before'] for t in tries]
        row('tmp_before', 'tries leaving `*.tmp` files (files, MB)', f"{_frac(sum(1 for x in lb if x['n']), n)} ({sum(x['n'] for x in lb)}, {sum(x['bytes'] for x in lb)/1e6:.2f} MB)", lab)
        la = [t['leftovers_after'] for t in tries]
        row('tmp_after', '`*.tmp` files left after the next `save_model` to the folder (tries, files)', f"{_frac(sum(1 for x in la if x['n']), n)} ({sum(x['n'] for x in la)} files)", lab)
        nw = sum(1 for t in tries if t['next_write'].get('value') == 'A')
        row('next', 'next `save_model` succeeds and reads back', _frac(nw, n), lab)
        alive = sum(1 for t in tries if t['child_end'] is None)
        row('killed', 'writer killed while still writing (writes completed: mean)', f"{_frac(alive, n)} ({sum(t['writes_done'] for t in tries)/max(n,1):.1f})", lab)
    elif s == 'b':
        for model in ('fbm', 'sbm'):
            ts = [t for t in tries if t['model'] == model]; n = len(ts)
            lab = f"b. SIGKILL during {model.upper()} cache writes ({n} tries)"
            pr = [v for t in ts for v in t['probes'].values()]
            lost = [v for v in pr if v != 'right']
            row(f'{model}.lost', 'entries that existed before the kill lost, unreadable or wrong', f"{_frac(len(lost), len(pr))}" + (f" ({_counts(v.split(':')[0] for v in lost)})" if lost else ''), lab)
            row(f'{model}.tries_lost', 'tries losing at least one entry', _frac(sum(1 for t in ts if any(v != 'right' for v in t['probes'].values())), n), lab)
            nr = sum(1 for t in ts if t['next_load'].get('value') == 'right')
            other = [_status(t['next_load']) if t['next_load'].get('status') != 'ok' else t['next_load']['value'] for t in ts if t['next_load'].get('value') != 'right']
            row(f'{model}.next', 'next load returns the right data', _frac(nr, n) + (f" (others: {_counts(other)})" if other else ''), lab)
            lb = [t['leftovers_before'] for t in ts]; la = [t['leftovers_after'] for t in ts]
            row(f'{model}.tmp_before', 'tries leaving temporary files (files)', f"{_frac(sum(1 for x in lb if x['n']), n)} ({sum(x['n'] for x in lb)})", lab)
            row(f'{model}.tmp_after', 'temporary files left after the next load (tries, files)', f"{_frac(sum(1 for x in la if x['n']), n)} ({sum(x['n'] for x in la)})", lab)
    elif s == 'c':
        for model in ('fbm', 'sbm'):
            ts = [t for t in tries if t['model'] == model]
            P, M, reps = p['c_procs'], p['c_rounds'], len(ts)
            lab = f"c. {P} processes x {M} rounds, one {model.upper()} cache folder ({reps} repetitions)"
            pr = [v for t in ts for v in t['probes'].values()]
            lost = [v for v in pr if v != 'right']
            row(f'{model}.lost', 'cache entries lost, unreadable or wrong afterwards', f"{_frac(len(lost), len(pr))}" + (f" ({_counts(v.split(':')[0] for v in lost)})" if lost else ''), lab)
            procs = [q for t in ts for q in t['procs']]
            errs = [x['result'] for q in procs for x in q['rounds'] if x['result'].startswith('error')]
            crashed = sum(1 for q in procs if q['hang'] or 'signal' in q or any(x['result'].startswith('error') for x in q['rounds']) or len(q['rounds']) < M)
            row(f'{model}.crashed', 'processes that raised, crashed or hung (rounds that raised)', f"{_frac(crashed, len(procs))} ({len(errs)} of {len(procs)*M})", lab)
            wrong = sum(1 for q in procs if any(x['result'] == 'wrong' for x in q['rounds']))
            row(f'{model}.wrong', 'processes that got wrong data', _frac(wrong, len(procs)), lab)
            row(f'{model}.errors', 'first error', ('`' + _first(errs)[0][:160].replace('|', '/') + '`') if errs else '-', lab)
            row(f'{model}.tmp', 'temporary files left (files)', str(sum(t['leftovers']['n'] for t in ts)), lab)
    elif s == 'd':
        for target in ('checkpoint', 'fbm', 'sbm'):
            for fault in ('flip', 'truncate'):
                ts = [t for t in tries if t['target'] == target and t['fault'] == fault]; n = len(ts)
                name = dict(checkpoint='checkpoint', fbm='FBM cache', sbm='SBM cache')[target]
                lab = f"d. {name}: {'one bit flipped' if fault == 'flip' else 'truncated'} ({n} tries)"
                err = [t for t in ts if t['result']['status'] == 'error']
                if target == 'checkpoint':
                    rebuilt, ident = [], [t for t in ts if t['result'].get('value') == 'identical']
                    wrong = [t for t in ts if str(t['result'].get('value')).startswith('wrong')]
                else:
                    ok = [t for t in ts if t['result']['status'] == 'ok']
                    rebuilt = [t for t in ok if t['result']['value']['equal'] and t['result']['value']['warned']]
                    ident = [t for t in ok if t['result']['value']['equal'] and not t['result']['value']['warned']]
                    wrong = [t for t in ok if not t['result']['value']['equal']]
                named = sum(1 for t in err if t['names_file'])
                det = len(err) + len(rebuilt)
                row(f'{target}.{fault}.detected', 'detected', f"{_frac(det, n)} ({named} error naming the file, {len(err) - named} error not naming it, {len(rebuilt)} rebuilt with a warning)", lab)
                row(f'{target}.{fault}.identical', 'loaded identical (harmless)', _frac(len(ident), n), lab)
                if target == 'checkpoint':
                    note = _counts(t['result']['value'] for t in wrong) if wrong else ''
                    if fault == 'flip' and wrong: note += f"; {sum(1 for t in wrong if t['region'] == 'header')} of them in the header"
                else:
                    ww = sum(1 for t in wrong if t['result']['value']['warned'])
                    note = f"{ww} with a warning" if ww else ''
                row(f'{target}.{fault}.wrong', 'silently wrong (loaded, differs)', _frac(len(wrong), n) + (f" ({note})" if note else ''), lab)
                ch = [_status(t['result']) for t in ts if t['result']['status'] in ('crash', 'hang')]
                row(f'{target}.{fault}.crash', 'crash or hang of the loading process', _frac(len(ch), n) + (f" ({_counts(ch)})" if ch else ''), lab)
                row(f'{target}.{fault}.errors', 'errors raised', _counts(t['result']['type'] for t in err), lab)
    elif s == 'e':
        for fault in ('nan', 'overflow'):
            ts = [t for t in tries if t['fault'] == fault]; n = len(ts)
            if not n: continue
            what = (f"NaN targets from epoch k = {','.join(str(t['nan_from_epoch']) for t in ts)}" if fault == 'nan'
                    else "learning rate " + ','.join(format(t['lr'], 'g') for t in ts))
            lab = f"e. {what} of a {ts[0]['n_epoch']}-epoch fit ({n} tries)"
            stopped = [t for t in ts if t['result']['status'] == 'error']
            row(f'{fault}.stopped', 'stopped with an exception', _frac(len(stopped), n) + (f" ({_counts(t['result']['type'] for t in stopped)})" if stopped else ''), lab)
            fin = [t for t in ts if t['result']['status'] == 'ok']
            losses = [t['result']['value']['final_train_loss'] for t in fin]
            row(f'{fault}.finished', 'finished without an exception (final train loss)', _frac(len(fin), n) + (f" ({', '.join(f'{x:.3g}' for x in losses)})" if fin else ''), lab)
            ch = [_status(t['result']) for t in ts if t['result']['status'] in ('crash', 'hang')]
            row(f'{fault}.crash', 'crash or hang', _frac(len(ch), n) + (f" ({_counts(ch)})" if ch else ''), lab)
            cks = [t['checkpoints'].get('value') or [] for t in ts]
            nonf = [sum(1 for c in cl if c.get('finite') is False) for cl in cks]
            row(f'{fault}.nonfinite', 'checkpoints with non-finite weights written (tries with any; total of all written)', f"{_frac(sum(1 for x in nonf if x), n)} ({sum(nonf)} of {sum(len(c) for c in cks)})", lab)
            if fault == 'nan':
                good = 0
                for t, cl in zip(ts, cks):
                    c = {x['name']: x for x in cl}.get(t['last_good'])
                    good += bool(c and c.get('finite') and c.get('loads'))
                row(f'{fault}.last_good', 'last good checkpoint (epoch k) kept, loadable and finite', _frac(good, n), lab)
            newest = sum(1 for cl in cks if cl and max(cl, key=lambda c: c['mtime']).get('finite') and max(cl, key=lambda c: c['mtime']).get('loads'))
            row(f'{fault}.newest', 'newest checkpoint loadable and finite', _frac(newest, n), lab)
            huge = [sum(1 for c in cl if not (c.get('train_state', {}).get('metrics', {}).get('train_loss', 0) < 1e6)) for cl in cks]
            row(f'{fault}.huge', 'checkpoints recording a non-finite or > 1e6 train loss', f"{sum(huge)} of {sum(len(c) for c in cks)}", lab)
    elif s == 'f':
        for target in ('training', 'generation'):
            ts = [t for t in tries if t['target'] == target]; n = len(ts)
            t_gen = next((r['t_gen'] for r in recs if r.get('kind') == 'info' and r.get('target') == 'generation'), None)
            top = p['f_max_delay'] if target == 'training' else f"{t_gen:.1f}" if t_gen else '?'
            lab = f"f. SIGINT during {target} ({n} tries, delay 0-{top} s)"
            ends = []
            for t in ts:
                k = t['child']
                if k['hang']: ends.append('hang')
                elif k['end'] is None: ends.append(f"crash ({'signal ' + str(k['signal']) if 'signal' in k else 'exit ' + str(k.get('exit_code'))})")
                elif k['end']['end'] == 'KeyboardInterrupt': ends.append('KeyboardInterrupt')
                elif k['end']['end'] == 'returned': ends.append('finished before the signal')
                else: ends.append(f"exception {k['end'].get('type')}")
            row(f'{target}.ki', 'exited with KeyboardInterrupt', _frac(ends.count('KeyboardInterrupt'), n), lab)
            other = [e for e in ends if e != 'KeyboardInterrupt']
            row(f'{target}.other', 'other endings', _counts(other) if other else '0', lab)
            if target == 'training':
                part = [t['leftovers']['n'] + sum(1 for c in (t['checkpoints'].get('value') or []) if not c.get('loads')) for t in ts]
                n_ck = sum(len(t['checkpoints'].get('value') or []) for t in ts)
                row(f'{target}.partial', 'tries leaving partial files (temporary or unloadable checkpoints; checkpoints written)', f"{_frac(sum(1 for x in part if x), n)} ({sum(part)}; {n_ck})", lab)
            else:
                part = [t['leftovers']['n'] + len(set((t['files'].get('value') or {}).get('partial', [])) - set(t['leftovers']['names'])) for t in ts]
                row(f'{target}.partial', 'tries leaving partial files (files)', f"{_frac(sum(1 for x in part if x), n)} ({sum(part)})", lab)
    elif s == 'g':
        for t in tries:
            r = t['result']
            lab = 'g. file modes, umask 022'
            if r['status'] != 'ok': row('modes', 'files written', _status(r) + ' ' + r.get('msg', '')[:100], lab); continue
            modes = r['value']
            for kind, pat in (('checkpoint', 'g_ckpt/'), ('FBM cache', 'fbm'), ('SBM cache', 'sbm'), ('generated .npz', 'g_gen/')):
                ms = sorted({m for f, m in modes.items() if pat in f and not _is_tmp(Path(f).name) and not f.endswith('.lock')})
                row(f'modes.{kind}', f'mode of the {kind} file(s)', ', '.join(m[2:].rjust(4, '0') for m in ms) or '-', lab)
    return rows

# ---------------------------------------------------------------------------------------------------------------------
# orchestrator

def git_rev(src):
    try: return subprocess.run(['git', '-C', str(src), 'rev-parse', 'HEAD'], capture_output=True, text=True, timeout=10).stdout.strip() or None
    except Exception: return None

def git_dirty(src):
    try: return bool(subprocess.run(['git', '-C', str(src), 'status', '--porcelain', '--', 'spivae'], capture_output=True, text=True, timeout=10).stdout.strip())
    except Exception: return None

def run_scenario(s, params, args, work):
    wdir = work / s; wdir.mkdir(parents=True, exist_ok=True)
    pfile, rfile, log = work / f'{s}_params.json', work / f'{s}_results.jsonl', work / f'{s}_worker.log'
    pfile.write_text(json.dumps({**params, 'workdir': str(wdir)}))
    env = {**os.environ, 'PYTHONPATH': str(Path(args.src).resolve()), 'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1',
           'MPLBACKEND': 'Agg', 'TQDM_DISABLE': '1', 'PYTHONHASHSEED': '0'}
    t0 = time.monotonic()
    with open(log, 'w') as lf:
        proc = subprocess.Popen([args.python, str(Path(__file__).resolve()), '--worker', s, '--params', str(pfile), '--result', str(rfile)],
                                env=env, stdout=lf, stderr=subprocess.STDOUT, cwd=wdir, start_new_session=True)
        try: rc = proc.wait(timeout=params['scenario_timeout'])
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL); proc.wait(); rc = 'timeout'
    secs = time.monotonic() - t0
    recs = [json.loads(x) for x in rfile.read_text().splitlines() if x.strip()] if rfile.exists() else []
    tail = log.read_text(errors='replace')[-2000:] if rc != 0 else ''
    return dict(seconds=round(secs, 1), worker_exit=rc, worker_log_tail=tail, records=recs)

def rows_of(run):
    "Summary rows of a result file, recomputed from its records (so that fixes of `summarize` apply to old files)"
    rows = []
    for s, res in run.get('scenarios', {}).items():
        try: rows += summarize(s, res['records'], run['meta']['settings'])
        except Exception as e: rows.append(dict(key=f'{s}.summary_error', scenario=f'{s}. {SCENARIOS[s]}', measure='summary failed', value=_msg(e)))
        if res['worker_exit'] != 0:
            rows.append(dict(key=f'{s}.worker', scenario=f'{s}. {SCENARIOS[s]}', measure='worker process',
                             value=f"ended with {res['worker_exit']} after {res['seconds']} s (results up to then)"))
    return rows or run.get('summary', [])

def main_run(args):
    params = {k: getattr(args, k) for k in DEFAULTS}
    if args.quick: params.update(QUICK)
    params['src'] = str(Path(args.src).resolve())
    work = Path(args.workdir or tempfile.mkdtemp(prefix='spivae_reliability_')); work.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    out = dict(meta=dict(src=params['src'], commit=git_rev(args.src), src_modified=git_dirty(args.src), python=args.python,
                         started=time.strftime('%Y-%m-%d %H:%M:%S'), settings=params, host_cpus=os.cpu_count(),
                         load_avg=os.getloadavg()), scenarios={}, summary=[])
    for s in args.only:
        print(f"[{time.strftime('%H:%M:%S')}] scenario {s}: {SCENARIOS[s]}", flush=True)
        res = run_scenario(s, params, args, work)
        try: rows = summarize(s, res['records'], params)
        except Exception as e: rows = [dict(key=f'{s}.summary_error', scenario=f'{s}. {SCENARIOS[s]}', measure='summary failed', value=_msg(e))]
        if res['worker_exit'] != 0:
            rows.append(dict(key=f'{s}.worker', scenario=f'{s}. {SCENARIOS[s]}', measure='worker process',
                             value=f"ended with {res['worker_exit']} after {res['seconds']} s (results up to then)"))
            print(res['worker_log_tail'], file=sys.stderr)
        out['scenarios'][s] = res; out['summary'] += rows
        print(f"  {res['seconds']} s, worker exit {res['worker_exit']}", flush=True)
        for r in rows: print(f"  {r['scenario']} | {r['measure']}: {r['value']}", flush=True)
    out['meta']['seconds'] = round(time.monotonic() - t0, 1)
    out['meta']['load_avg_end'] = os.getloadavg()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1, default=_default))
    print(f"wrote {args.out} ({out['meta']['seconds']} s)")
    if not args.keep: shutil.rmtree(work, ignore_errors=True)
    else: print(f"kept the work folder {work}")

def report(files, labels):
    runs = [json.loads(Path(f).read_text()) for f in files]
    labels = labels or ['before', 'after'][:max(len(runs), 1)]
    if len(runs) == 1 and len(labels) < 2: labels = labels + ['after']
    keys, info = [], {}
    for run in runs:  # rows of a later run that an earlier one lacks go after their predecessor in that run
        prev = None
        for r in rows_of(run):
            if r['key'] not in info:
                keys.insert(keys.index(prev) + 1 if prev in keys else len(keys), r['key']); info[r['key']] = r
            prev = r['key']
    vals = [{r['key']: r['value'] for r in rows_of(run)} for run in runs]
    lines = ['| Scenario (attempts) | Outcome | ' + ' | '.join(labels) + ' |', '|---|---|' + '---|' * len(labels)]
    last = None
    for k in keys:
        sc = info[k]['scenario']
        cells = [v.get(k, '') for v in vals] + [''] * (len(labels) - len(vals))
        lines.append(f"| {sc if sc != last else ''} | {info[k]['measure']} | " + ' | '.join(c.replace('|', '/') for c in cells) + ' |')
        last = sc
    print('\n'.join(lines))

def cli():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--src', help='source tree whose spivae to test (PYTHONPATH)')
    ap.add_argument('--out', help='JSON file to write')
    ap.add_argument('--python', default='/work/venv/bin/python' if os.path.exists('/work/venv/bin/python') else sys.executable)
    ap.add_argument('--only', default=''.join(SCENARIOS), help='scenarios to run, e.g. abd')
    ap.add_argument('--quick', action='store_true', help='tiny counts: a smoke test of the benchmark')
    ap.add_argument('--workdir', help='work folder (default: a new temporary folder, removed at the end)')
    ap.add_argument('--keep', action='store_true', help='keep the work folder')
    ap.add_argument('--report', nargs='+', metavar='JSON', help='print the markdown table of one or two result files')
    ap.add_argument('--labels', nargs='+', help='column labels for --report (default: before after)')
    for k, v in DEFAULTS.items(): ap.add_argument('--' + k.replace('_', '-'), type=type(v), default=v)
    ap.add_argument('--worker', help=argparse.SUPPRESS); ap.add_argument('--params', help=argparse.SUPPRESS)
    ap.add_argument('--result', help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker: return worker_main(args.worker, args.params, args.result)
    if args.report: return report(args.report, args.labels)
    if not (args.src and args.out): ap.error('--src and --out are needed (or --report)')
    if not (Path(args.src) / 'spivae' / '__init__.py').exists(): ap.error(f'--src {args.src} holds no spivae/ package')
    bad = set(args.only) - set(SCENARIOS)
    if bad: ap.error(f"--only: unknown scenario(s) {sorted(bad)}; use letters of {''.join(SCENARIOS)}")
    main_run(args)

if __name__ == '__main__':
    cli()
