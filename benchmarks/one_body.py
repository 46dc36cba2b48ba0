"""Benchmark: one network body (issue 17, item 1) against the code before it, in one process.

The package before the change (a worktree, `--old`, default /work/base) is imported under the name `spivae_old`
next to this one (`spivae`). For the seed's model (`seed_model_args()`) and variants of every option the code paths
treat differently (padding, the reference code's factors, weight normalization, a mixture, two stacks of kernel-2
blocks, global conditioning, a plain WaveNet), built in float64 with the same weights (the new model's state dict
loaded into the old one, strictly: the state-dict keys must be the same), it checks on random inputs:

- `forward` in both memory layouts ('plain' and 'channels_last'): outputs, and the gradients of every parameter
  and of the input, of a sum of squares of the outputs, same random draws: largest relative difference;
- generation with the same conditioning and noise: `generate` (batches of 2, a final partial one) and
  `sample_batch`, old against new; and `generate` without `eps` from the same seed.

Each difference must be below 1e-12. Then it times, old and new interleaved over several rounds (the order
alternating), on float32 and the CPU:

- training steps of the seed's model (batch 256, 399 displacements, Adam, the `Loss` of `spivae.loss`, 2 threads),
  on the default layout ('auto': channels-last on the CPU) and on 'plain': trajectories per second, as
  benchmarks/throughput.py counts them;
- `generate` of the seed's model with a damped output layer, n = 600, T = 200, one batch, 1 thread, as
  benchmarks/generation.py does, and `sample_batch` on the same input (in the full run only).

Results: benchmarks/results/one_body.json and a table on stdout.

Run: `python benchmarks/one_body.py [--quick] [--rounds 5] [--old /work/base]`. `--quick` runs the checks and one
short round of timings (not figures to quote: a few steps, for the code to run).
"""
import argparse, importlib.util, json, os, platform, sys, time
from pathlib import Path
import torch

HERE = Path(__file__).parent
TOL = 1e-12

def load_package(name:str, root:Path):
    "The package `spivae` of the source tree `root`, imported as `name`"
    spec = importlib.util.spec_from_file_location(name, root/'spivae'/'__init__.py', submodule_search_locations=[str(root/'spivae')])
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod

def rel_err(a, b)->float:
    "Largest difference relative to the largest value of `b` (absolute below 1)"
    return ((a - b).abs().max() / b.abs().max().clamp(min=1.)).item()

def twins(old_models, new_models, dtype=torch.float64, damp=False, **change):
    "The same model built by the old and the new code: the new one's state dict loaded strictly into the old one"
    args = new_models.seed_model_args(**change)
    torch.manual_seed(0)
    new = new_models.VAEWaveNet(**args).to(dtype)
    with torch.no_grad():
        for p in new.parameters(): p.add_(0.1*torch.randn_like(p))  # non-zero biases and log-variance head
        if damp:  # bounded feedback for generation: damped means and logits, fixed scales
            last = new.out_conv[-1]
            w = last.parametrizations.weight.original0 if args.get('weight_norm') else last.weight
            K = args['num_mixtures']
            w.mul_(0.1); w[2*K:] = 0
            last.bias.copy_(torch.cat([torch.zeros(K), torch.linspace(-1, 1, K), torch.full((K,), -3.)]).to(dtype))
    old = old_models.VAEWaveNet(**args).to(dtype)
    sd_new, sd_old = new.state_dict(), old.state_dict()
    if list(sd_new) != list(sd_old): raise AssertionError(f"state-dict keys differ: {sorted(set(sd_new) ^ set(sd_old))}")
    old.load_state_dict(sd_new, strict=True)
    return old, new

def forward_and_grads(m, x, g, layout):
    "Outputs, parameter gradients and input gradient of a sum of squares of `m`'s outputs, on `layout`"
    m.layout = layout
    m.zero_grad(set_to_none=True)
    x = x.clone().requires_grad_(True)
    torch.manual_seed(5)
    out = m(x, g=g) if g is not None else m(x)
    out = out if isinstance(out, tuple) else (out,)
    sum(o.square().sum() for o in out if o is not None).backward()
    m.layout = 'auto'
    return [o.detach() for o in out if o is not None], {n: p.grad for n, p in m.named_parameters()}, x.grad

VARIANTS = {'seed': {}, 'use_pad': dict(use_pad=True), 'res_scale': dict(res_scale=True), 'weight_norm': dict(weight_norm=True),
            'mixture_3': dict(num_mixtures=3), 'stack_2_kernel_2': dict(stack_size=2, res_kernel_size=2),
            'global_cond': dict(g_channels=2), 'plain_wavenet': dict(c_channels=0, g_channels=1),
            'res_scale_mixture_pad': dict(res_scale=True, num_mixtures=2, use_pad=True, g_channels=1)}

def check_forward(om, nm, B=3, T=120):
    "Largest relative difference old/new of outputs, parameter gradients and input gradient, per layout and variant"
    res = {}
    for name, change in VARIANTS.items():
        old, new = twins(om, nm, **change)
        torch.manual_seed(1)
        x = torch.randn(B, 1, T, dtype=torch.float64) * 0.1
        g = torch.randn(B, change['g_channels'], dtype=torch.float64) if change.get('g_channels') else None
        for layout in ('plain', 'channels_last'):
            (oo, og, ox), (no, ng, nx) = forward_and_grads(old, x, g, layout), forward_and_grads(new, x, g, layout)
            if len(oo) != len(no) or any(a.shape != b.shape for a, b in zip(oo, no)): raise AssertionError(f"{name} {layout}: output shapes differ")
            if [k for k in og if og[k] is None] != [k for k in ng if ng[k] is None]:
                raise AssertionError(f"{name} {layout}: different parameters without gradient")
            res[f"{name}/{layout}"] = dict(outputs=max(rel_err(b, a) for a, b in zip(oo, no)),
                                           param_grads=max(rel_err(ng[k], og[k]) for k in og if og[k] is not None),
                                           input_grad=rel_err(nx, ox))
    return res

GEN_VARIANTS = {'seed': {}, 'use_pad': dict(use_pad=True), 'res_scale': dict(res_scale=True), 'weight_norm': dict(weight_norm=True),
                'mixture_3': dict(num_mixtures=3), 'stack_2_kernel_2': dict(stack_size=2, res_kernel_size=2),
                'global_cond': dict(g_channels=2), 'plain_wavenet': dict(c_channels=0, g_channels=1)}

def check_generation(om, nm, n=5, T=40):
    "Largest relative difference old/new of `generate` and `sample_batch` on the same conditioning and noise"
    res = {}
    for name, change in GEN_VARIANTS.items():
        old, new = twins(om, nm, damp=True, **change)
        old.eval(); new.eval()
        RF = new.receptive_field
        torch.manual_seed(2)
        c = new.vae.decode(torch.randn(n, 6, dtype=torch.float64), RF + T).detach() if new.c_channels else None
        z = torch.randn(n, 6, dtype=torch.float64) if new.c_channels else None
        g = torch.randn(n, change['g_channels'], dtype=torch.float64) if change.get('g_channels') else None
        eps = nm.generation_noise(n, T, new.num_mixtures, dtype=torch.float64)
        kw = dict(c=c, g=g, eps=eps, bs=2, progress=False) if c is not None else dict(n=n, g=g, eps=eps, bs=2, progress=False)
        gen_old, gen_new = old.generate(T=T, **kw), new.generate(T=T, **kw)
        (sb_old, last_old), (sb_new, last_new) = old.sample_batch(n, 2, T, c=c, g=g, eps=eps), new.sample_batch(n, 2, T, c=c, g=g, eps=eps)
        r = dict(generate=rel_err(gen_new, gen_old), sample_batch=rel_err(sb_new, sb_old), sample_batch_last_step=rel_err(last_new, last_old),
                 generate_vs_sample_batch_new=rel_err(gen_new, sb_new))
        if z is not None:
            torch.manual_seed(3); zo = old.generate(T=T, z=z, g=g, bs=2, progress=False)
            torch.manual_seed(3); zn = new.generate(T=T, z=z, g=g, bs=2, progress=False)
            r['generate_from_z_seeded_noise'] = rel_err(zn, zo)
        res[name] = r
    return res

def train_rate(m, loss, steps, x):
    "Trajectories per second of `steps` training steps (forward, loss, backward, Adam) on the batch `x`"
    opt = torch.optim.Adam(m.parameters(), lr=1e-4)
    y = x.transpose(1, 2)
    def step():
        opt.zero_grad(); loss(m(x), y).backward(); opt.step()
    step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(steps): step()
    return steps * len(x) / (time.perf_counter() - t0)

def time_training(om, nm, rounds, steps):
    "Trajectories per second of old and new, interleaved, on the default layout and on 'plain'"
    from spivae.loss import Loss
    torch.set_num_threads(2)
    x = torch.randn(256, 1, 399) * 0.05
    res = {}
    for layout in ('auto', 'plain'):
        rates = dict(old=[], new=[])
        for r in range(rounds):
            for side in (('old', 'new') if r % 2 == 0 else ('new', 'old')):
                old, new = twins(om, nm, dtype=torch.float32)
                m = old if side == 'old' else new
                m.layout = layout; m.train()
                rates[side].append(train_rate(m, Loss(m.receptive_field, m.c_channels, reduction='mean'), steps, x))
        res[layout] = {k: dict(median_traj_per_s=round(sorted(v)[len(v)//2], 1), all=[round(e, 1) for e in v]) for k, v in rates.items()}
        res[layout]['new_over_old'] = round(res[layout]['new']['median_traj_per_s'] / res[layout]['old']['median_traj_per_s'], 3)
    return res

def time_generation(om, nm, rounds, n, T, with_sample_batch):
    "Seconds of `generate` (and `sample_batch`) of old and new, interleaved, same conditioning and noise, 1 thread"
    torch.set_num_threads(1)
    old, new = twins(om, nm, dtype=torch.float32, damp=True)
    old.eval(); new.eval()
    with torch.no_grad(): c = new.vae.decode(torch.randn(n, 6), new.receptive_field + T)
    eps = nm.generation_noise(n, T)
    times = {k: [] for k in (['old', 'new'] + (['old_sample_batch', 'new_sample_batch'] if with_sample_batch else []))}
    diffs = []
    for r in range(rounds):
        for side in (('old', 'new') if r % 2 == 0 else ('new', 'old')):
            m = old if side == 'old' else new
            t0 = time.perf_counter(); out = m.generate(c=c, T=T, eps=eps, progress=False); times[side].append(time.perf_counter() - t0)
            diffs.append(out)
            if with_sample_batch and r == 0:
                t0 = time.perf_counter(); m.sample_batch(n, n, T, c=c, eps=eps); times[f'{side}_sample_batch'].append(time.perf_counter() - t0)
    res = {k: dict(best_s=round(min(v), 4), all=[round(e, 4) for e in v]) for k, v in times.items()}
    res['new_over_old_best'] = round(res['new']['best_s'] / res['old']['best_s'], 3)
    res['max_abs_diff_float32'] = float(max((a - diffs[0]).abs().max() for a in diffs))
    res.update(n=n, T=T)
    return res

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true', help='the checks and one short round of timings')
    p.add_argument('--rounds', type=int, default=5, help='interleaved rounds of each timing')
    p.add_argument('--old', type=Path, default=Path('/work/base'), help='source tree of the package before the change')
    args = p.parse_args()
    load_package('spivae_old', args.old.resolve())
    om = importlib.import_module('spivae_old.models')
    import spivae.models as nm
    here_pkg = Path(nm.__file__).resolve().parent
    if here_pkg == (args.old.resolve()/'spivae'): raise SystemExit("the old and the new package are the same source tree")
    t_start = time.perf_counter()
    res = dict(quick=args.quick, old=str(Path(om.__file__).resolve()), new=str(Path(nm.__file__).resolve()), tolerance=TOL,
               machine=dict(cpu_count=os.cpu_count(), python=platform.python_version(), torch=torch.__version__,
                            load_average_at_start=[round(v, 2) for v in os.getloadavg()]))
    res['forward'] = check_forward(om, nm)
    res['generation'] = check_generation(om, nm)
    worst_fwd = max(v for r in res['forward'].values() for v in r.values())
    worst_gen = max(v for k, r in res['generation'].items() for name, v in r.items() if name != 'generate_vs_sample_batch_new')
    res['max_rel_diff'] = dict(forward_and_gradients=worst_fwd, generation=worst_gen)
    res['equal_within_tolerance'] = bool(worst_fwd < TOL and worst_gen < TOL)
    rounds = 1 if args.quick else args.rounds
    res['training'] = time_training(om, nm, rounds, 2 if args.quick else 20)
    res['generation_time'] = time_generation(om, nm, rounds + (0 if args.quick else 1), 600, 50 if args.quick else 200, not args.quick)
    res['minutes'] = round((time.perf_counter() - t_start) / 60, 1)
    res['machine']['load_average_at_end'] = [round(v, 2) for v in os.getloadavg()]
    out = HERE/'results'; out.mkdir(exist_ok=True)
    (out/'one_body.json').write_text(json.dumps(res, indent=1) + '\n')
    print(f"{'check':<44}{'max rel. diff old/new':>24}")
    for k, r in res['forward'].items(): print(f"{'forward ' + k:<44}{max(r.values()):>24.2e}")
    for k, r in res['generation'].items():
        print(f"{'generation ' + k:<44}{max(v for n, v in r.items() if n != 'generate_vs_sample_batch_new'):>24.2e}")
    print(f"equal within {TOL:g}: {res['equal_within_tolerance']}" + ("  (quick run: timings are not figures)" if args.quick else ''))
    print(f"\n{'timing':<44}{'old':>12}{'new':>12}{'new/old':>10}")
    for layout, r in res['training'].items():
        print(f"{'training traj/s, layout ' + layout:<44}{r['old']['median_traj_per_s']:>12}{r['new']['median_traj_per_s']:>12}{r['new_over_old']:>10}")
    gt = res['generation_time']
    print(f"{'generate s, n=%d T=%d, 1 thread' % (gt['n'], gt['T']):<44}{gt['old']['best_s']:>12}{gt['new']['best_s']:>12}{gt['new_over_old_best']:>10}")
    if 'old_sample_batch' in gt:
        print(f"{'sample_batch s (one run)':<44}{gt['old_sample_batch']['best_s']:>12}{gt['new_sample_batch']['best_s']:>12}")
    if not res['equal_within_tolerance']: raise SystemExit(f"old and new differ by more than {TOL:g}")

if __name__ == '__main__': main()
