"""Benchmark: the large profile of the property-based tests of the public API (`spivae.fuzz`, issue 16 item 2).

Every target of `spivae.fuzz.FUZZ_TARGETS` (`load_data` requests, `VAEWaveNet` arguments, `forward` and `generate`
inputs, `Loss` arguments and inputs, damaged checkpoint bytes, damaged FBM and SBM cache bytes) is run on
`--examples` hypothesis draws per seed. Each draw must end in a documented error that names what was wrong, or in a
result that passes its independent check; a hang (over 30 s), an error raised outside spivae or one that names
nothing, and a wrong result all fail. The CI profile of the same properties runs in `nbs/13_fuzz.ipynb`.

Run: `python benchmarks/fuzz.py` (about 10 minutes with the defaults); writes benchmarks/results/fuzz.json and fuzz.md.
"""
import argparse, json, platform, sys, time, traceback
from pathlib import Path
import torch
import spivae
from spivae.fuzz import FUZZ_PROFILES, FUZZ_TARGETS, run_fuzz

HERE = Path(__file__).parent

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--examples', type=int, default=FUZZ_PROFILES['large'], help='hypothesis draws per target and seed')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1], help="seeds of hypothesis' draws")
    p.add_argument('--targets', nargs='+', default=list(FUZZ_TARGETS), choices=FUZZ_TARGETS)
    p.add_argument('--threads', type=int, default=1, help='torch threads')
    p.add_argument('--out', default=str(HERE/'results'/'fuzz'), help='results prefix (.json and .md are added)')
    a = p.parse_args()
    if a.examples < 1: p.error(f"--examples must be at least 1, got {a.examples}")
    torch.set_num_threads(a.threads)
    rows, failures, t0 = [], [], time.time()
    for seed in a.seeds:
        for t in a.targets:
            try: r = run_fuzz(a.examples, seed, [t]).iloc[0].to_dict()
            except BaseException as e:  # a falsified property: record the shrunk example and go on
                if isinstance(e, KeyboardInterrupt): raise
                r = dict(target=t, examples=None, ok=None, errors=None, seconds=None)
                failures.append(dict(target=t, seed=seed, error=''.join(traceback.format_exception_only(e))[-3000:]))
            rows.append({**r, 'seed': seed, 'falsified': r['examples'] is None})
            print(rows[-1], flush=True)
    res = dict(settings=dict(examples=a.examples, seeds=a.seeds, targets=a.targets, threads=a.threads),
               machine=dict(python=platform.python_version(), torch=torch.__version__, spivae=spivae.__version__, cpu=platform.processor()),
               minutes=round((time.time() - t0)/60, 1), rows=rows, failures=failures)
    out = Path(a.out)
    out.with_suffix('.json').write_text(json.dumps(res, indent=1, default=str))
    lines = [f"# Property-based tests, large profile\n",
             f"`python benchmarks/fuzz.py --examples {a.examples} --seeds {' '.join(map(str, a.seeds))} --threads {a.threads}`: "
             f"{len(a.targets)} targets × {len(a.seeds)} seeds × {a.examples} draws, {res['minutes']} min, "
             f"torch {torch.__version__}, spivae {spivae.__version__}.\n",
             "Each draw ends in a documented error naming what was wrong, or in a result that passes its independent check "
             "(see `nbs/13_fuzz.ipynb`). A falsified property is listed below the table with its shrunk example.\n",
             "| target | seed | draws | correct results | documented errors (by type) | falsified | seconds |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        errs = ', '.join(f"{k} {v}" for k, v in sorted((r['errors'] or {}).items())) or '–'
        lines.append(f"| `{r['target']}` | {r['seed']} | {r['examples'] if r['examples'] is not None else '–'} | "
                     f"{r['ok'] if r['ok'] is not None else '–'} | {errs} | {'**yes**' if r['falsified'] else 'no'} | {r['seconds'] or '–'} |")
    n_f = sum(r['falsified'] for r in rows)
    lines.append(f"\n{len(rows) - n_f} of {len(rows)} (target, seed) runs held the property; {n_f} were falsified.")
    for f in failures: lines += [f"\n## Falsified: `{f['target']}`, seed {f['seed']}\n", "```", f['error'].strip(), "```"]
    out.with_suffix('.md').write_text('\n'.join(lines) + '\n')
    print('\n'.join(lines))
    sys.exit(1 if failures else 0)

if __name__ == '__main__': main()
