"""Diagnostic: what the latent space holds at the end of β = 0, for several `reproduce.py --process fbm` runs (issue 5).

The reproduction benchmark finds the α neuron with some seeds and not with others. Whether it will shows at the end of
the first stage (β = 0, a plain autoencoder): the later stages put a price on what the latent space holds and did not add
α in any run measured. So each run is probed on its stage-0 checkpoint (`StagedCheckpoint`'s `*_stage0.safetensors`):
- R² of α and of log D predicted from the six latent means μ by a quadratic regression (`spivae.readout.latent_r2`:
  constant, μ_i, μ_i μ_j, fitted on one half of a probe set and scored on the other). The probe set is fresh FBM on
  the training grid (21 α × 10 D, `--per-pair` paths each, seed `--probe-seed`, which no run trains on).
- Dead ReLU units: per layer group of the VAE (encoder convolutions, encoder dense layers, decoder dense layers,
  decoder transposed convolutions), how many units are never positive on the whole probe set.
- From the run's training log (fastai's progress output), if given: the validation loss at the end of β = 0 and the
  largest setback during it (how far an epoch's validation loss rose above the best before it), with its epoch.
  A run stopped before the end of β = 0 has no checkpoint to probe; give `-` as its checkpoint to report its log.

Run: `python benchmarks/stage0_probe.py --run LABEL CHECKPOINT [LOG] --run ... --name stage0_probe`; the figures go
to benchmarks/results/NAME.json and, as a markdown table, to the standard output (`stage0_probe.md` beside the JSON
quotes it with what the runs show). Each run's configuration is whatever LABEL says (the checkpoints and logs are not
kept in git: they are tens of MB per run).
"""
import argparse, json, re, tempfile
from pathlib import Path
import numpy as np, torch
from spivae.data import fbm_dataset
from spivae.models import VAEWaveNet
from spivae.readout import latent_r2
from spivae.train import load_checkpoint

HERE = Path(__file__).parent
GROUPS = {'encoder conv': ('vae.encoder', torch.nn.Conv1d), 'encoder dense': ('vae.encoder', torch.nn.Linear),
          'decoder dense': ('vae.decoder', torch.nn.Linear), 'decoder convT': ('vae.convt', torch.nn.ConvTranspose1d)}

def load(fname):
    "The model of a stage checkpoint: `reproduce.py` trains with `res_scale=True`, which older checkpoints do not record"
    m, margs, _ = load_checkpoint(fname)
    if margs.get('res_scale'): return m
    model = VAEWaveNet(**{**margs, 'res_scale': True}); model.load_state_dict(m.state_dict())
    return model

def probe(model, ds, bs=512):
    "Latent means of every trajectory of `ds` and, per layer group, the ReLU units never positive"
    seen, hooks = {}, []
    def hook(name):
        def h(mod, inp, out):
            on = (out > 0).flatten(2).any(-1) if out.dim() == 3 else out > 0
            seen[name] = seen.get(name, torch.zeros(on.shape[1], dtype=torch.bool)) | on.any(0)
        return h
    layers = list(model.named_modules())
    for (n, m), (_, nxt) in zip(layers[:-1], layers[1:]):  # the ReLU that follows each layer of the VAE
        if isinstance(nxt, torch.nn.ReLU) and any(n.startswith(p) and isinstance(m, c) for p, c in GROUPS.values()):
            hooks.append(nxt.register_forward_hook(hook(n)))
    model.eval(); mus = []
    with torch.no_grad():
        for i in range(0, len(ds), bs):
            x, _ = ds[torch.arange(i, min(i + bs, len(ds)))]
            mus.append(model.vae.encode(x)[0])
            model.vae.decode(mus[-1], x.shape[-1])
    for h in hooks: h.remove()
    dead = {}
    for g, (p, c) in GROUPS.items():
        names = [n for n, m in layers if n in seen and n.startswith(p) and isinstance(m, c)]
        dead[g] = [int(sum((~seen[n]).sum() for n in names)), sum(len(seen[n]) for n in names)]
    return torch.cat(mus).numpy(), dead

ROW = re.compile(r'^(\d+)\s+(-?[\d.]+|nan)\s+(-?[\d.]+|nan)\s')
def stage0_log(fname):
    """The validation losses of the β = 0 epochs in a `reproduce.py` or `stage0_train.py` log: the last one, and the
    largest setback (an epoch's loss above the best of the epochs before it) with its epoch (from 1) and loss"""
    text = Path(fname).read_text(errors='replace').replace('\r', '\n')
    valid = {int(m.group(1)): float(m.group(3)) for m in map(ROW.match, text.split('\n')) if m}
    plan = re.search(r'schedule \[\((\d+), 0\.0\)', text)  # reproduce.py's; stage0_train.py trains β = 0 only
    n0 = int(plan.group(1)) if plan else len(valid)
    v = np.array([valid[e] for e in range(n0) if e in valid])
    if len(v) < 2: raise ValueError(f"{fname}: fewer than two epochs of β = 0 in the log")
    rise = v[1:] - np.minimum.accumulate(v)[:-1]
    e = int(np.argmax(rise))
    return dict(epochs=n0, seen=len(v), last=float(v[-1]), setback=float(rise[e]), setback_epoch=e + 2,
                setback_loss=float(v[e + 1]))

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--run', nargs='+', action='append', required=True, metavar=('LABEL CHECKPOINT', 'LOG'),
                   help='a label, a stage-0 checkpoint and optionally the training log')
    p.add_argument('--per-pair', type=int, default=6)
    p.add_argument('--probe-seed', type=int, default=11)
    p.add_argument('--name', default='stage0_probe')
    a = p.parse_args()
    for r in a.run:
        if len(r) not in (2, 3): raise SystemExit(f"--run takes LABEL CHECKPOINT [LOG], got {r}")
        for f in r[1:]:
            if f != '-' and not Path(f).is_file(): raise SystemExit(f"--run {r[0]}: no file {f}")
        if r[1] == '-' and len(r) == 2: raise SystemExit(f"--run {r[0]}: give a checkpoint, a log or both")
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as d:
        ds = fbm_dataset(d, N=a.per_pair, T=400, alpha=np.linspace(0.2, 1.8, 21), D=np.geomspace(1e-5, 1e-2, 10),
                         seed=a.probe_seed)
        alpha, logD = np.asarray(ds.alpha), np.log(np.asarray(ds.D))
        out = []
        for r in a.run:
            res = dict(label=r[0], checkpoint=r[1], log=stage0_log(r[2]) if len(r) == 3 else None)
            if r[1] != '-':
                mu, res['dead'] = probe(load(r[1]), ds)
                res.update(r2_alpha=latent_r2(mu, alpha), r2_logD=latent_r2(mu, logD))
            out.append(res)
    res = dict(probe=dict(per_pair=a.per_pair, seed=a.probe_seed, n=len(alpha)), runs=out)
    (HERE/'results'/f'{a.name}.json').write_text(json.dumps(res, indent=1))
    lines = [f"Probe set: {len(alpha)} fresh FBM trajectories on the training grid (seed {a.probe_seed}). R²: quadratic "
             "regression on the six latent means, fitted on half the probe set, scored on the other half. Dead units: "
             "never positive on the probe set, of all units in the group.", "",
             "| run | β = 0 epochs (logged) | largest setback: epoch, valid loss (rise) | valid loss, last logged | R²(α) "
             "| R²(log D) | dead: " + " / ".join(GROUPS) + " |", "|---|---|---|---|---|---|---|"]
    for r in out:
        l, cells = r['log'], [r['label']]
        cells += ([f"{l['epochs']} ({l['seen']})", f"{l['setback_epoch']}, {l['setback_loss']:.3f} (+{l['setback']:.3f})",
                   f"{l['last']:.3f}"] if l else ['–'] * 3)
        cells += ([f"{r['r2_alpha']:.2f}", f"{r['r2_logD']:.2f}", " / ".join(f"{d}/{n}" for d, n in r['dead'].values())]
                  if 'dead' in r else ['–'] * 3)
        lines.append('| ' + ' | '.join(cells) + ' |')
    print('\n'.join(lines))

if __name__ == '__main__': main()
