"""Prints a config with its ``_base_`` files and overrides resolved.

``python tools/misc/print_config.py CONFIG [--cfg-options KEY=VALUE ...]``
"""
import argparse

from mmengine.config import Config, DictAction


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        allow_abbrev=False, description='Print the resolved config')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config keys, e.g. model.head.max_depth=80')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    print(f'Config ({args.config}):\n{cfg.pretty_text}')


if __name__ == '__main__':
    main()
