"""Train, calibrate and package a pretrained model (issue 19): `spivae/pretrained/NAME.{safetensors,calibration.json,card.json,md}`.

    python benchmarks/pretrain.py --name fbm --threads 2 -- --preset paper --per-pair 100 --bs 64 --schedule 0:15,1e-3:10,4e-3:10,1e-2:10

runs `spivae_train` with the arguments after `--` (seed, data and schedule recorded in the checkpoint), calibrates
the model with its training D values as candidate reference scales (`calibrate`), and writes the checkpoint, the
calibration and the model card (data, recipe, seed, minutes, validation loss, KL and role of each neuron, the
calibration's coverage, known limits) into the package. Nothing in the package is replaced until all of it is
ready: the files are written to a temporary folder first and moved in at the end.
"""
import argparse, json, shutil, tempfile, time
from pathlib import Path
import numpy as np, pandas as pd, torch

HERE = Path(__file__).resolve().parent
PKG = HERE.parent/'spivae'/'pretrained'

def card_md(card):
    "The model card as markdown"
    d, r, c = card['data'], card['recipe'], card['calibration']
    neurons = '\n'.join(f"| {n['neuron']} | {n['kl']:.3f} | {'yes' if n['survives'] else 'no'} | {n['rho_alpha']:.3f} | {n['rho_logD']:.3f} |"
                        for n in card['neurons'])
    cov = ', '.join(f"band from {b} positions: α {v['alpha']:.2f}, log D {v['logD']:.2f}" for b, v in zip(c['bands'], c['coverage'].values()))
    return f"""# Pretrained model `{card['name']}`

{card['summary']}

- **Data**: {d['model'].upper()}, α {d['alpha']}, D {d['D']}, {d['N']} trajectories per (α, D) of {d['T']} positions, seed {d['seed']}
  (data, split, batch order and initial weights), 20 % held out for validation.
- **Recipe**: `spivae_train {card['command']}`: {r}.
- **Training**: {card['minutes']:.1f} minutes on {card['threads']} CPU thread(s) ({card['machine']}); final validation loss
  {card['valid_loss']:.4f} (reconstruction {card['valid_nll']:.4f} nats per scored step).
- **Neurons** (validation set; survivors have a mean KL above 0.1 nats; |ρ| Spearman against α and log D):

| neuron | KL (nats) | survives | \\|ρ α\\| | \\|ρ log D\\| |
|---|---|---|---|---|
{neurons}

  {card['roles']}
- **Calibration** (`estimate`): neurons {c['neurons']}, windows rescaled to the step scale D = {c['D_ref']:g} (held-out α RMSE at
  each training D: {c['probe']}); coverage of the {c['level']:.0%} intervals on held-out synthetic FBM: {cov}.
- **Limits**: trained on α in [{min(d['alpha']):.2f}, {max(d['alpha']):.2f}], trajectories of {d['T']} positions
  (longer ones are read in windows of {d['T']}, shorter ones with the calibration of their length band), without
  localisation noise: with noise its α is worse than TA-MSD's (see `benchmarks/results/`), and the intervals are too
  narrow. D is read from the step scale, so any D is accepted.
"""

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--name', required=True, help='the name load_pretrained will know it by')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--work', default=None, help='folder for the run and its data (default: a temporary one)')
    p.add_argument('--from-run', action='store_true', help='package the finished run in --work again, without training')
    a, rest = p.parse_known_args()
    rest = [x for x in rest if x != '--']
    if not a.name.replace('-', '').replace('_', '').isalnum(): p.error(f"--name must be letters, digits, - or _, got {a.name!r}")
    if any(x in rest for x in ('--out', '--overwrite')): p.error('--out and --overwrite are set by this script')
    if a.from_run and not a.work: p.error('--from-run needs --work')
    torch.set_num_threads(a.threads)
    from fastcore.script import anno_parser
    from spivae.cli import spivae_train
    from spivae.train import load_checkpoint, read_train_state
    from spivae.estimate import calibrate, save_calibration
    from spivae.readout import describe_roles
    work = Path(a.work or tempfile.mkdtemp(prefix='spivae_pretrain_'))
    run = work/'run'
    kw = vars(anno_parser(spivae_train.__wrapped__, prog='spivae_train').parse_args(rest))  # the command's own parsing and defaults
    for k in ('pdb', 'xtra'): kw.pop(k, None)
    kw.update(out=str(run), overwrite=True, **({} if '--data' in rest else dict(data=str(work/'data'))))
    proc = kw['process']
    ckpt = run/f'spivae_{proc}.safetensors'
    if not a.from_run:
        t0 = time.perf_counter()
        learn = spivae_train(**kw)
        rec = dict(minutes=(time.perf_counter() - t0)/60, valid=dict(zip(learn.recorder.metric_names[1:-1], map(float, learn.recorder.values[-1]))))
        (work/'trained.json').write_text(json.dumps(rec))  # with the run folder: --from-run packages it again without training
    else:
        if not (work/'trained.json').is_file() or not ckpt.is_file(): p.error(f"--from-run: {work} holds no finished run of this script")
        rec = json.loads((work/'trained.json').read_text())
    minutes, valid = rec['minutes'], rec['valid']
    model, margs, dargs = load_checkpoint(ckpt)
    cal = calibrate(model, D_ref=list(dargs['D']), seed=1)
    ro = pd.read_csv(run/f'readout_{proc}.csv', index_col='neuron')
    st = read_train_state(ckpt)
    card = dict(name=a.name, process=proc, summary=f"SPIVAE trained on {proc.upper()} with the `{st['settings']['preset']}` preset's grid "
                f"and the schedule below, calibrated for `estimate` and `generate_at`.",
                command=' '.join(rest), data={**{k: dargs[k] for k in ('model', 'N', 'T', 'seed')}, **{k: [float(f'{v:.4g}') for v in dargs[k]] for k in ('alpha', 'D')}},
                recipe=(f"batch {st['settings']['bs']}, peak learning rate {st['settings']['lr']}, β stages (epochs, β) "
                        f"{st['settings']['stages']} with one learning-rate cycle each, `scaled_mean=True`"),
                settings=st['settings'], minutes=minutes, threads=a.threads, machine='2-core x86-64 CPU, torch ' + torch.__version__,
                valid_loss=float(valid['valid_loss']), valid_nll=float(valid.get('nll', np.nan)),
                neurons=[dict(neuron=int(i), kl=float(r.kl), survives=bool(r.survives), rho_alpha=float(abs(r.rho_alpha)) if pd.notna(r.rho_alpha) else 0.,
                              rho_logD=float(abs(r.rho_logD)) if pd.notna(r.rho_logD) else 0.) for i, r in ro.iterrows()],
                roles=describe_roles(ro).replace('\n', '; '),
                calibration=dict(neurons=cal.neurons, D_ref=cal.D_ref, probe=cal.probe, coverage=cal.coverage, level=cal.level, bands=cal.bands),
                date=time.strftime('%Y-%m-%d'))
    stage = Path(tempfile.mkdtemp(prefix='spivae_pretrained_'))
    shutil.copy(ckpt, stage/f'{a.name}.safetensors')
    save_calibration(cal, stage/f'{a.name}.calibration.json')
    (stage/f'{a.name}.card.json').write_text(json.dumps(card, indent=1, default=float))
    (stage/f'{a.name}.md').write_text(card_md(card))
    PKG.mkdir(parents=True, exist_ok=True)
    for f in stage.iterdir(): shutil.move(str(f), PKG/f.name)  # same-name files of an earlier model are replaced only now
    print(card_md(card))


if __name__ == '__main__': main()
