"""A browser demo of a da2zoe model.

``python tools/webui.py CONFIG CHECKPOINT [--port 7860] [--host 127.0.0.1]
[--share]`` then open http://127.0.0.1:7860: upload or drop a photo (or pick
a synthetic room) and get its metric depth with a colour bar, the image
beside it, min / median / max depth, the inference time, a 3-D view, and
16-bit PNG (mm), ``.npy`` (m), ``.ply`` and ``.glb`` downloads. The
arguments are checked before torch and Gradio are imported.
"""
import argparse
import os
import os.path as osp
import sys
import tempfile

from da2zoe.cli.preflight import config_path_error  # standard library only


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Serve a browser demo of a da2zoe model',
        allow_abbrev=False)
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint (any layout)')
    parser.add_argument('--port', type=int, default=7860)
    parser.add_argument(
        '--host', default='127.0.0.1',
        help='interface to listen on (0.0.0.0: reachable from other hosts)')
    parser.add_argument(
        '--share', '--share-free', dest='share', action='store_true',
        help="also open a public link through Gradio's free share service "
        '(needs internet)')
    parser.add_argument('--device', default=None,
                        help='cpu or cuda[:N] (default: cuda if available)')
    parser.add_argument('--examples', type=int, default=4,
                        help='synthetic example rooms to offer (0: none)')
    parser.add_argument('--max-megapixels', type=float, default=25.0,
                        help='largest upload accepted')
    parser.add_argument('--out-dir', default=None,
                        help='where download files go (default: a temporary '
                        'folder)')
    args = parser.parse_args(argv)
    config_error = config_path_error(args.config)
    if config_error:
        parser.error(config_error)
    if not osp.isfile(args.checkpoint):
        parser.error(f'checkpoint {args.checkpoint!r}: no such file')
    if not 0 < args.port < 65536:
        parser.error(f'--port {args.port}: not a port number')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.setdefault('GRADIO_ANALYTICS_ENABLED', 'False')
    import torch

    from da2zoe.analysis.malloc import tune_malloc
    from da2zoe.apis import init_model
    from da2zoe.webui import (
        DepthDemo,
        UploadLimits,
        build_app,
        launch,
        write_examples,
    )
    tune_malloc()
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    model = init_model(args.config, args.checkpoint, device)
    out_dir = args.out_dir or tempfile.mkdtemp(prefix='da2zoe_webui_')
    examples_dir = osp.join(out_dir, 'examples')
    demo = DepthDemo(model, osp.join(out_dir, 'renders'),
                     UploadLimits(int(args.max_megapixels * 1e6)))
    examples = write_examples(examples_dir, args.examples)
    blocks = build_app(
        demo, examples, description=f'model `{osp.basename(args.config)}` '
        f'· weights `{osp.basename(args.checkpoint)}` · {device}')
    print(f'serving on http://{args.host}:{args.port} (Ctrl+C stops)')
    launch(blocks, args.host, args.port, args.share, [out_dir])
    return 0


if __name__ == '__main__':
    sys.exit(main())
