"""Run one recipe of `recipe_study.py` over several seeds, each in a fresh process, and write one table (issue 18).

A seed sets the data (the trajectories and their split), the batch order and the initial weights. Every seed's row
is reported, with how many of how many meet the target: one surviving neuron with |ρ α| >= 0.9 and another with
|ρ log D| >= 0.9 (`neuron_roles` of the validation readout). Per seed: the stage-0 R² of α and log D (`latent_r2` of
the validation latent means at the end of β = 0), the survivors, the two |ρ|, the TA-MSD α of trajectories generated
along the most α-like survivor (21 values in [-4, 4], 100 samples of 200 steps; the others at the data's mean),
the final validation loss and the minutes of training.

    python benchmarks/seeds.py --name srf0 --seeds 0 1 2 3 4 --jobs 2 -- --stage0 15 --anneal 1e-4:3,1e-3:3,4e-3:4 --short-rf 0

writes `results/seeds/<name>_s<seed>.json` (one per seed, with every setting and the per-epoch log) and
`results/seeds/<name>.md`. `--table NAME [NAME ...]` only rebuilds the tables of runs already done, side by side.
With `--jobs 2` and `--threads 1` two seeds share the 2 cores: their minutes are not those of a run alone.
"""
import argparse, json, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE/'results'/'seeds'

def run_seed(name, seed, args, data, threads):
    "Train one seed in a fresh process; the path of its JSON (its log beside it)"
    out = OUT/f'{name}_s{seed}.json'
    cmd = [sys.executable, str(HERE/'recipe_study.py'), '--seed', str(seed), '--threads', str(threads),
           '--data', str(Path(data)/f'seed{seed}'), '--sweep', '--out', str(out), *args]
    with open(out.with_suffix('.log'), 'w') as log:
        rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT).returncode
    if rc: raise RuntimeError(f"seed {seed} failed (exit {rc}): see {out.with_suffix('.log')}")
    return out

def fmt(v, nd=2): return '–' if v is None else f'{v:.{nd}f}'

def row(r):
    "One table row of a recipe_study result"
    ra, rd = r['rho_alpha'], r['rho_logD']
    a_n, d_n = r['alpha_neuron'], r['D_neuron']
    best_a = max(ra.values()) if ra else None
    best_d = max(rd.values()) if rd else None
    sw = r.get('sweep')
    gen = f"{sw['alpha_min']:.2f} – {sw['alpha_max']:.2f}{' (monotonic)' if sw['monotonic'] else ''}" if sw else '–'
    return (f"| {r['settings']['seed']} | {fmt(r['stage0_r2_alpha'])} | {fmt(r['stage0_r2_logD'])} | "
            f"{len(r['survivors'])} | {fmt(ra.get(str(a_n)) if a_n is not None else best_a)}"
            f"{'' if a_n is not None else ' (none ≥ 0.9)'} | {fmt(rd.get(str(d_n)) if d_n is not None else best_d)}"
            f"{'' if d_n is not None else ' (none ≥ 0.9)'} | "
            f"{gen} | {fmt(r['final_valid'], 3)} | {fmt(r['train_min'], 1)} | {'yes' if r['found'] else 'no'} |")

HEADER = ("| seed | stage-0 R²(α) | stage-0 R²(log D) | survivors | \\|ρ α\\| | \\|ρ log D\\| | generated α | final valid | "
          "minutes | found |\n|---|---|---|---|---|---|---|---|---|---|")

def table(name):
    "The markdown section of one recipe: its settings, one row per seed, and how many seeds of how many found both neurons"
    files = sorted(OUT.glob(f'{name}_s*.json'), key=lambda f: int(f.stem.rsplit('_s', 1)[1]))
    rs = [json.loads(f.read_text()) for f in files]
    if not rs: raise SystemExit(f"no results for {name!r} in {OUT}")
    s = rs[0]['settings']
    settings = ' '.join(f"--{k.replace('_', '-')} {v}" for k, v in s.items()
                        if k not in ('seed', 'out', 'data', 'threads', 'sweep', 'save') and v not in (None, False))
    n = sum(r['found'] for r in rs)
    return (f"### {name}: {n} of {len(rs)} seeds find both neurons\n\n`{settings}` (stages {rs[0]['stages']})\n\n"
            + HEADER + '\n' + '\n'.join(row(r) for r in rs) + '\n')

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--name', help='name of the recipe (file names of its results)')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2, 3, 4])
    p.add_argument('--jobs', type=int, default=1, help='seeds trained at the same time')
    p.add_argument('--threads', type=int, default=1, help='torch threads per seed')
    p.add_argument('--data', default='/tmp/spivae_seeds_data', help='cache of the generated data (one folder per seed)')
    p.add_argument('--table', nargs='+', help='only rebuild the tables of these recipes, side by side')
    a, rest = p.parse_known_args()
    rest = [x for x in rest if x != '--']
    OUT.mkdir(parents=True, exist_ok=True)
    if a.table:
        print('\n'.join(table(n) for n in a.table)); return
    if not a.name: p.error('--name is required to run seeds')
    if any(x in rest for x in ('--seed', '--out', '--data', '--threads')): p.error('--seed, --out, --data and --threads are set per seed by this script')
    t0 = time.time()
    def one(s):  # a failed seed is reported, and the others still run and count
        try: run_seed(a.name, s, rest, a.data, a.threads); return None
        except RuntimeError as e: print(e, flush=True); return s
    with ThreadPoolExecutor(a.jobs) as ex: failed = [s for s in ex.map(one, a.seeds) if s is not None]
    md = table(a.name)
    if failed: md += f"\nfailed, no result (their logs in results/seeds/): seeds {', '.join(map(str, failed))}\n"
    (OUT/f'{a.name}.md').write_text(md + f"\n{len(a.seeds)} seeds, {a.jobs} at a time, {a.threads} thread(s) each, "
                                         f"{(time.time() - t0)/60:.1f} minutes in all; {time.strftime('%Y-%m-%d')}\n")
    print(md)

if __name__ == '__main__': main()
