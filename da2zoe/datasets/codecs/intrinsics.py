"""Camera intrinsics stored next to the depth: a 3x3 text matrix."""
import numpy as np

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
    """Load ``intrinsics_path`` (a 3x3 text matrix) into the sample, if set.

    Args:
        results (dict): The sample.

    Raises:
        BadSampleError: If the file is missing or not 9 numbers.
    """
    path = results.get('intrinsics_path')
    if not path:
        return
    try:
        set_intrinsics(results, np.loadtxt(path))
    except (OSError, ValueError) as err:
        raise BadSampleError(path, f'unreadable intrinsics ({err})') from err


def write_intrinsics(path: str, matrix: np.ndarray) -> None:
    """Write a 3x3 pinhole matrix as :func:`read_intrinsics` reads it.

    Args:
        path (str): The text file.
        matrix (np.ndarray): (3, 3) matrix.
    """
    np.savetxt(path, np.asarray(matrix, np.float64).reshape(3, 3),
               fmt='%.6f')
