"""KITTI's projected LiDAR ground truth: 16-bit PNG, metres = ``v / 256``,
0 = no point."""
import numpy as np

from .base import register_fixed_dtype_rule
from .scaled import ScaledFormat

KITTI_PNG = ScaledFormat(metres_per_unit=1 / 256, dtype=np.uint16)
encode_kitti = KITTI_PNG.encode
decode_kitti = KITTI_PNG.decode
read_kitti_png = register_fixed_dtype_rule('kitti_png', np.uint16,
                                           decode_kitti)
