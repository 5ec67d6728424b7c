"""The ``voxelize-cy`` command line (also ``python -m voxelize_cy``).

Commands
--------
``voxelize-cy image STRUCTURE --center X Y Z -o out.npy [options] [--png preview.png]``
    One image of a structure file.
``voxelize-cy batch STRUCTURE --centers centers.csv -o stack.npy [options] [--threads N]``
    One image per centre (CSV with x, y, z columns, header optional), on all
    cores, with a progress bar on stderr when it is a terminal.
``voxelize-cy demo [-o DIR]``
    Voxelize the built-in example peptide; writes ``DIR/demo.npy`` and
    ``DIR/demo.png`` (the PNG when matplotlib is installed).

Every error is one line on stderr (``voxelize-cy: error: ...``) and exit
status 2; no traceback.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from pathlib import Path
from typing import List, Optional, Sequence

import numpy as np

from voxelize_cy import __version__
from voxelize_cy.voxelize import Grid, ImageParams, image_from_atoms, images_from_atoms

PROG = "voxelize-cy"
DEFAULT_CHANNELS = ["C", "N", "O", ".*"]


class CommandError(Exception):
    """An error to report as one line with exit status 2."""


def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def _positive_float(text: str) -> float:
    value = _finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0: {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1: {text!r}")
    return value


def _add_image_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--length", type=_positive_int, default=21, metavar="L",
                        help="voxels along each side (default 21)")
    parser.add_argument("--resolution", type=_positive_float, default=1.0, metavar="A",
                        help="voxel side in Å (default 1.0)")
    parser.add_argument("--radius", type=_positive_float, default=0.5, metavar="A",
                        help="atom radius in Å, the same for every element (default 0.5)")
    parser.add_argument("--channels", nargs="+", default=DEFAULT_CHANNELS, metavar="REGEX",
                        help="channel patterns, first full match wins (default: C N O '.*')")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float64",
                        help="output dtype (default float64)")
    parser.add_argument("--model", type=int, default=1, help="model number (default 1)")
    parser.add_argument("--chain", default=None, help="keep only this chain")
    parser.add_argument("--no-hydrogens", action="store_true", help="drop H and D atoms")
    parser.add_argument("--no-waters", action="store_true", help="drop waters")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``voxelize-cy``."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Voxelize atomic structures (mmCIF/PDB, gzipped too) into "
                    "multi-channel 3D images.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    image = sub.add_parser("image", help="one image of a structure",
                           description="Voxelize one image of a structure file.")
    image.add_argument("structure", help="mmCIF or PDB file (.gz allowed)")
    image.add_argument("--center", nargs=3, type=_finite_float, required=True,
                       metavar=("X", "Y", "Z"), help="image centre in Å")
    image.add_argument("-o", "--output", required=True, help="output .npy file")
    image.add_argument("--png", default=None, help="also write a PNG preview here")
    _add_image_options(image)

    batch = sub.add_parser("batch", help="one image per centre, on all cores",
                           description="Voxelize one image per centre of a CSV file.")
    batch.add_argument("structure", help="mmCIF or PDB file (.gz allowed)")
    batch.add_argument("--centers", required=True,
                       help="CSV with three columns x, y, z (a header row is optional)")
    batch.add_argument("-o", "--output", required=True, help="output .npy file (B, C, L, L, L)")
    batch.add_argument("--threads", type=_positive_int, default=None,
                       help="threads (default: all cores / OMP_NUM_THREADS)")
    _add_image_options(batch)

    demo = sub.add_parser("demo", help="voxelize the built-in example peptide",
                          description="Voxelize the built-in α-helical peptide and write "
                                      "DIR/demo.npy and DIR/demo.png.")
    demo.add_argument("-o", "--output-dir", default="voxelize_demo", metavar="DIR",
                      help="output folder (default ./voxelize_demo)")
    return parser


def _load(args):
    from voxelize_cy.io import atoms_from_file

    return atoms_from_file(args.structure, model=args.model, chain=args.chain,
                           hydrogens=not args.no_hydrogens, waters=not args.no_waters)


def _params(args, center) -> ImageParams:
    return ImageParams(
        grid=Grid(args.length, args.resolution, np.asarray(center, dtype=float)),
        channels=list(args.channels),
        element_radii_A=args.radius,
    )


def _check_png_possible(png: Optional[str]) -> None:
    if png is None:
        return
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CommandError("--png needs matplotlib: pip install 'voxelize_cy[plot]'") from None


def _save_npy(path: str, array: np.ndarray) -> None:
    out = Path(path)
    if out.parent and not out.parent.exists():
        raise CommandError(f"output folder does not exist: {out.parent}")
    np.save(out, array)


def _read_centers(path: str) -> np.ndarray:
    source = Path(path)
    if not source.exists():
        raise FileNotFoundError(f"no such centers file: {source}")
    rows: List[List[float]] = []
    with open(source, newline="") as f:
        for line_no, row in enumerate(csv.reader(f), start=1):
            cells = [c.strip() for c in row if c.strip()]
            if not cells or cells[0].startswith("#"):
                continue
            if len(cells) != 3:
                raise CommandError(f"{source}:{line_no}: expected 3 columns x, y, z, "
                                   f"got {len(cells)}")
            try:
                values = [float(c) for c in cells]
            except ValueError:
                if not rows and line_no == 1:
                    continue  # a header row
                raise CommandError(f"{source}:{line_no}: not a number in {cells}") from None
            if not all(math.isfinite(v) for v in values):
                raise CommandError(f"{source}:{line_no}: centres must be finite, got {cells}")
            rows.append(values)
    if not rows:
        raise CommandError(f"{source}: no centres")
    return np.array(rows)


class ProgressBar:
    """A minimal progress bar on a stream; silent unless the stream is a terminal."""

    def __init__(self, total: int, stream=None, label: str = "images"):
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.label = label
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = time.perf_counter()

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        width = 30
        filled = int(width * done / max(self.total, 1))
        elapsed = time.perf_counter() - self.start
        rate = done / elapsed if elapsed > 0 else 0.0
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{self.total} "
                          f"{self.label} ({rate:,.0f}/s)")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def cmd_image(args) -> int:
    _check_png_possible(args.png)
    atoms = _load(args)
    params = _params(args, args.center)
    img = image_from_atoms(atoms, params, dtype=np.dtype(args.dtype))
    _save_npy(args.output, img)
    if args.png:
        from voxelize_cy.plotting import save_image_png

        save_image_png(img, args.png, channels=params.channels, resolution_A=args.resolution,
                       title=f"{Path(args.structure).name} at {tuple(args.center)}")
    print(f"wrote {args.output}: shape {img.shape}, {img.dtype}, "
          f"sum per channel {np.round(img.sum(axis=(1, 2, 3)), 3).tolist()}")
    return 0


def cmd_batch(args) -> int:
    atoms = _load(args)
    centers = _read_centers(args.centers)
    params = [_params(args, c) for c in centers]
    L = args.length
    out = np.empty((len(params), len(args.channels), L, L, L), dtype=np.dtype(args.dtype))
    bar = ProgressBar(len(params))
    cache: dict = {}
    chunk = 64
    for start in range(0, len(params), chunk):
        stop = min(start + chunk, len(params))
        images_from_atoms(atoms, params[start:stop], channel_cache=cache,
                          num_threads=args.threads, dtype=out.dtype, out=out[start:stop])
        bar.update(stop)
    bar.close()
    _save_npy(args.output, out)
    print(f"wrote {args.output}: shape {out.shape}, {out.dtype}")
    return 0


def cmd_demo(args) -> int:
    from voxelize_cy.example import EXAMPLE_SEQUENCE, example_atoms

    folder = Path(args.output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    atoms = example_atoms()
    center = atoms[["x", "y", "z"]].to_numpy().mean(axis=0)
    params = ImageParams(Grid(24, 1.0, center), ["C", "N", "O", "S"], 
                         {"C": 1.7, "N": 1.55, "O": 1.52, "S": 1.8})
    start = time.perf_counter()
    img = image_from_atoms(atoms, params)
    elapsed_ms = (time.perf_counter() - start) * 1e3
    npy = folder / "demo.npy"
    np.save(npy, img)
    print(f"voxelized the example peptide {EXAMPLE_SEQUENCE} ({len(atoms)} atoms) "
          f"into {img.shape} in {elapsed_ms:.2f} ms")
    print(f"sum per channel {dict(zip(params.channels, np.round(img.sum(axis=(1, 2, 3)), 3).tolist()))}")
    print(f"wrote {npy}")
    try:
        from voxelize_cy.plotting import PlottingUnavailable, save_image_png

        png = folder / "demo.png"
        save_image_png(img, png, channels=params.channels, resolution_A=1.0,
                       title=f"α-helix {EXAMPLE_SEQUENCE}, van der Waals radii")
        print(f"wrote {png}")
    except PlottingUnavailable as err:
        print(f"no PNG: {err}")
    return 0


COMMANDS = {"image": cmd_image, "batch": cmd_batch, "demo": cmd_demo}


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run ``voxelize-cy``; returns the exit status (0, or 2 on any error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except KeyError as err:  # the original's "no radius for this element"
        message = f"no radius for element {err.args[0]!r}" if err.args else "missing key"
    except (CommandError, FileNotFoundError, ValueError, TypeError, RuntimeError,
            MemoryError, OSError, ImportError) as err:
        message = str(err) or type(err).__name__
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
