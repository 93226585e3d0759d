"""Camera intrinsics of a sample: a 3x3 text file next to the depth, a
dataset's calibration, or a focal length (principal point at the centre)."""
import numpy as np

from da2zoe.structures.camera import parse_intrinsics
from ..bad_sample import BadSampleError


def set_intrinsics(results: dict, matrix: np.ndarray) -> None:
    """Record a 3x3 pinhole matrix as ``intrinsics`` and its fx as ``focal``.

    Args:
        results (dict): The sample.
        matrix (np.ndarray): 9 numbers, row-major.
    """
    matrix = np.asarray(matrix, np.float64).reshape(3, 3)
    results['intrinsics'] = matrix.tolist()
    results['focal'] = float(matrix[0, 0])


def read_intrinsics(results: dict) -> None:
    """Give the sample its camera, from the first source it has.

    In order: ``intrinsics_path`` (a 3x3 text matrix), ``intrinsics``
    already set (a row's 9 numbers, a format's calibration), ``camera`` (a
    dataset's calibration in any :func:`~da2zoe.structures.camera.
    parse_intrinsics` spelling, valid at ``camera_size`` (H, W) when given
    and scaled to the image), ``focal`` alone (square pixels, principal
    point at the image centre). Without any the sample has no camera
    (``intrinsics`` and ``focal`` None). Call it after the image is loaded
    and before any geometric transform.

    Args:
        results (dict): The sample.

    Raises:
        BadSampleError: If the file is missing or not 9 numbers, or the
            camera is not a valid pinhole camera.
    """
    path = results.get('intrinsics_path')
    if path:
        try:
            set_intrinsics(results, np.loadtxt(path))
        except (OSError, ValueError) as err:
            raise BadSampleError(path,
                                 f'unreadable intrinsics ({err})') from err
        return
    if results.get('intrinsics') is not None:
        set_intrinsics(results, results['intrinsics'])
        return
    size = results['img'].shape[:2]
    name = results.get('img_path', '<image>')
    spec, spec_size = results.get('camera'), results.get('camera_size')
    if spec is None and results.get('focal') is None:
        return
    try:
        if spec is None:
            matrix = parse_intrinsics(results['focal'], size, 'focal')
        else:
            matrix = parse_intrinsics(spec, spec_size or size, 'camera')
            if spec_size is not None:
                sy, sx = size[0] / spec_size[0], size[1] / spec_size[1]
                matrix = np.diag([sx, sy, 1.0]) @ matrix
                matrix[:2, 2] += np.array([sx, sy]) * 0.5 - 0.5
    except ValueError as err:
        raise BadSampleError(name, str(err)) from err
    set_intrinsics(results, matrix)


def write_intrinsics(path: str, matrix: np.ndarray) -> None:
    """Write a 3x3 pinhole matrix as :func:`read_intrinsics` reads it.

    Args:
        path (str): The text file.
        matrix (np.ndarray): (3, 3) matrix.
    """
    np.savetxt(path, np.asarray(matrix, np.float64).reshape(3, 3),
               fmt='%.6f')
