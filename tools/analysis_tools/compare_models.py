"""Several models on the same data and protocol: one table, best marked.

``python tools/analysis_tools/compare_models.py [NAME=]CFG1:CKPT1
[NAME=]CFG2:CKPT2 ... --dataset DATA_CONFIG [--cfg-options KEY=VALUE ...]
[--out-dir DIR] [--names A B ...] [--align ALIGN] [--flip] [--show N]
[--pipeline data|model]``

``DATA_CONFIG``'s ``test_dataloader`` and ``test_evaluator`` are the data
and protocol of every model (``--cfg-options`` edits that config, e.g.
``test_dataloader.dataset.data_root=...``; ``--pipeline model`` runs each
model's own test pipeline over those samples instead). Prints the table
(``*`` marks the best of each column: errors lower, accuracies higher) and
writes
``comparison.json`` (metrics and each model's protocol record),
``comparison.md`` and, with ``--show N``, panels of the first N images
(``panels/``). Exit status 2 when a model, its config or checkpoint, or the
data config cannot be read: before any evaluation.
"""
import argparse
import json
import os
import os.path as osp
import sys

import torch
from mmengine.config import DictAction

from da2zoe.analysis.compare_models import (
    ModelSpecError,
    build_data_protocol,
    compare_models,
    parse_model_specs,
    write_panels,
)
from da2zoe.analysis.comparison_table import (
    best_per_column,
    markdown_table,
    text_table,
)
from da2zoe.analysis.malloc import tune_malloc
from da2zoe.evaluation.alignment import ALIGNMENTS
from da2zoe.evaluation.metric_direction import LOWER_IS_BETTER


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        allow_abbrev=False, description=__doc__.split('\n')[0])
    parser.add_argument('models', nargs='+',
                        help='[NAME=]CONFIG:CHECKPOINT, one per model')
    parser.add_argument('--dataset', required=True,
                        help='config whose test_dataloader / test_evaluator '
                        'every model is evaluated with')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='overrides of the --dataset config')
    parser.add_argument('--names', nargs='+', help='table row names')
    parser.add_argument('--out-dir', default='work_dirs/compare')
    parser.add_argument(
        '--align', choices=[a for a in ALIGNMENTS if a],
        help='relative models only: align every model this way (default: '
        "each model's own config's DepthMetric align, none for metric "
        'models)')
    parser.add_argument('--flip', action='store_true',
                        help='horizontal-flip TTA for every model')
    parser.add_argument(
        '--pipeline', choices=('data', 'model'), default='data',
        help="data: the --dataset config's test pipeline for every model "
        "(default); model: each model's own test pipeline on the same "
        'samples (the input rule then differs, and is reported)')
    parser.add_argument('--show', type=int, default=0, metavar='N',
                        help='write panels of the first N images')
    parser.add_argument('--batch-size', type=int)
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    tune_malloc()
    try:
        specs = parse_model_specs(args.models, args.names)
        data = build_data_protocol(args.dataset, args.cfg_options,
                                   args.batch_size)
        result = compare_models(specs, data, args.dataset, args.device,
                                args.align, args.flip, args.show,
                                own_pipelines=args.pipeline == 'model')
    except (ModelSpecError, ValueError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    kept = result.pop('kept')
    metrics = {name: m['metrics'] for name, m in result['models'].items()}
    result['best'] = best_per_column(metrics)
    result['lower_is_better'] = list(LOWER_IS_BETTER)
    os.makedirs(args.out_dir, exist_ok=True)
    with open(osp.join(args.out_dir, 'comparison.json'), 'w') as f:
        json.dump(result, f, indent=2)
    with open(osp.join(args.out_dir, 'comparison.md'), 'w') as f:
        f.write(markdown_table(metrics))
    print(f'\n{len(data.dataset)} images of {args.dataset}, one protocol:')
    print(text_table(metrics))
    if result['differences']:
        print('WARNING: the protocol records differ in '
              + ', '.join(result['differences']), file=sys.stderr)
    if args.show:
        panels = write_panels(osp.join(args.out_dir, 'panels'), kept)
        print(f'{len(panels)} panels in {osp.join(args.out_dir, "panels")}')
    print(f'written: {osp.join(args.out_dir, "comparison.json")}, '
          f'{osp.join(args.out_dir, "comparison.md")}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
