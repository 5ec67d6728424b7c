"""The ``voxelize-cy`` command line (also ``python -m voxelize_cy``).

Commands
--------
``voxelize-cy demo [-o DIR]``
    Voxelize the built-in example peptide; writes ``DIR/demo.npy``,
    ``DIR/demo.npz`` and ``DIR/demo.png`` (the PNG when matplotlib is there).
``voxelize-cy image STRUCTURE -o OUT [--center X Y Z | --center-on A/45[/CA]] [options]``
    One image.  Without a centre, the grid is centred on the structure's
    centroid.  OUT's suffix says what to write: ``.npy``, ``.npz`` (with the
    grid), ``.png`` (a preview), ``.dx`` or ``.mrc`` (one map per channel).
``voxelize-cy batch STRUCTURE --centers centers.csv -o OUT [options] [--threads N]``
    One image per centre, on all cores, with a progress bar on a terminal.
``voxelize-cy convert STRUCTURE... -o DIR [--jobs N] [--force]``
    Structure files to binary caches ``DIR/<name>.feather``, read back by
    ``atoms_from_file`` in well under a millisecond.

Every error is one line on stderr (``voxelize-cy: error: ...``) and exit
status 2; no traceback.  Options are never abbreviated.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from voxelize_cy import __version__
from voxelize_cy.chemistry.channel_sets import CHANNEL_SETS, add_channels
from voxelize_cy.cli.gnina import add_molcache_parser, cmd_molcache
from voxelize_cy.cli.verify import add_verify_parser, cmd_verify
from voxelize_cy.cli.options import center_of_selection, extent_text, read_centers
from voxelize_cy.cli.progress import ProgressBar
from voxelize_cy.images import check_image_size
from voxelize_cy.images.draw import (
    AGGREGATIONS,
    FILLS,
    image_from_atoms,
    images_from_atoms,
)
from voxelize_cy.images.model import Grid, ImageParams
from voxelize_cy.images.text_params import CommandError, parse_channels, parse_radius
from voxelize_cy.pictures.outputs import output_kind, save_image

__all__ = ["main", "build_parser", "ProgressBar"]

PROG = "voxelize-cy"
DEFAULT_CHANNELS = ["C", "N", "O", ".*"]


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


def _add_structure_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=int, default=1, help="model number (default 1)")
    parser.add_argument("--chain", default=None, help="keep only this chain")
    parser.add_argument("--no-hydrogens", action="store_true", help="drop H and D atoms")
    parser.add_argument("--no-waters", action="store_true", help="drop waters")


def _fill_options(args) -> dict:
    """The fill keywords of ``image_from_atoms`` from the command line."""
    options = {"fill": args.fill, "agg": args.agg}
    if args.fill in ("gaussian", "binary"):
        options.update(radius_scale=args.radius_scale,
                       gaussian_radius_multiple=args.gaussian_radius_multiple)
    elif args.radius_scale != 1.0 or args.gaussian_radius_multiple != 1.0:
        raise ValueError("--radius-scale and --gaussian-radius-multiple need --fill "
                         "gaussian or binary")
    return options


def _add_image_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--length", type=_positive_int, default=21, metavar="L",
                        help="voxels along each side (default 21)")
    parser.add_argument("--resolution", type=_positive_float, default=1.0, metavar="A",
                        help="voxel side in Å (default 1.0)")
    parser.add_argument("--radius", type=str, default="0.5", metavar="R",
                        help="atom radius in Å: one number, or per element such as "
                             "C=1.7,N=1.55,O=1.52,*=1.8 (default 0.5)")
    parser.add_argument("--channels", nargs="+", default=[",".join(DEFAULT_CHANNELS)],
                        metavar="REGEX",
                        help="a channel set (" + ", ".join(CHANNEL_SETS) + "), or "
                             "channel patterns, first full match wins: comma-separated "
                             "(C,N,O,.*), or as separate arguments (then taken whole, "
                             "commas included); default C,N,O,.*")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float64",
                        help="output dtype (default float64)")
    parser.add_argument("--fill", choices=list(FILLS), default="fraction_atom",
                        help="what an atom puts in a voxel: the exact fraction of the atom "
                             "(the original's, default), the overlap in Å³, the fraction "
                             "of the voxel, or libmolgrid's Gaussian or binary density")
    parser.add_argument("--agg", choices=list(AGGREGATIONS), default="sum",
                        help="how atoms sharing a voxel combine (default sum)")
    parser.add_argument("--radius-scale", type=_positive_float, default=1.0, metavar="S",
                        help="radii times S, for --fill gaussian or binary (default 1)")
    parser.add_argument("--gaussian-radius-multiple", type=_finite_float, default=1.0,
                        metavar="G", help="the Gaussian up to G radii, then its quadratic "
                        "tail; negative: truncated at |G| (default 1)")
    parser.add_argument("--png", default=None, metavar="PNG",
                        help="also write a preview picture here")
    _add_structure_options(parser)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (and exit status 2)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``voxelize-cy``."""
    parser = _Parser(
        prog=PROG, allow_abbrev=False,
        description="Voxelize atomic structures (mmCIF/PDB, gzipped too) into "
                    "multi-channel 3D images.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    image = sub.add_parser(
        "image", help="one image of a structure", allow_abbrev=False,
        description="Voxelize one image of a structure file.  The output's suffix says "
                    "what to write: .npy, .npz (with the grid), .png (a preview), .dx or "
                    ".mrc (one map per channel, out_<channel>.dx).")
    image.add_argument("structure", help="mmCIF or PDB file (.gz allowed), or a .feather cache")
    where = image.add_mutually_exclusive_group()
    where.add_argument("--center", nargs=3, type=_finite_float, metavar=("X", "Y", "Z"),
                       help="image centre in Å (default: the centroid of the atoms)")
    where.add_argument("--center-on", metavar="SELECTION",
                       help="centre on a residue (CHAIN/RESIDUE, e.g. A/45) or an atom "
                            "(A/45/CA)")
    image.add_argument("-o", "--output", required=True,
                       help="output file: .npy, .npz, .png, .dx or .mrc")
    image.add_argument("--view", choices=["2d", "3d"], default=None,
                       help="with --png: 3d renders the image over the structure with "
                            "PyMOL (the pymol extra); 2d (default) is a projection")
    _add_image_options(image)

    batch = sub.add_parser(
        "batch", help="one image per centre, on all cores", allow_abbrev=False,
        description="Voxelize one image per centre of a CSV file (columns x, y, z by "
                    "header name, or the first three columns when there is no header).")
    batch.add_argument("structure", help="mmCIF or PDB file (.gz allowed), or a .feather cache")
    batch.add_argument("--centers", required=True, help="CSV of centres (x, y, z)")
    batch.add_argument("-o", "--output", required=True,
                       help="output file: .npy (B, C, L, L, L) or .npz (with the centres)")
    batch.add_argument("--threads", type=_positive_int, default=None,
                       help="threads (default: all cores / OMP_NUM_THREADS)")
    _add_image_options(batch)

    demo = sub.add_parser("demo", help="voxelize the built-in example peptide",
                          allow_abbrev=False,
                          description="Voxelize the built-in α-helical peptide and write "
                                      "DIR/demo.npy, DIR/demo.npz and DIR/demo.png.")
    demo.add_argument("-o", "--output-dir", default="voxelize_demo", metavar="DIR",
                      help="output folder (default ./voxelize_demo)")

    convert = sub.add_parser(
        "convert", help="structure files to binary caches (.feather)", allow_abbrev=False,
        description="Write DIR/<name>.feather for each structure file: the atom table "
                    "atoms_from_file gives, read back in well under a millisecond.  "
                    "Needs pyarrow (pip install 'voxelize_cy[cache]').")
    convert.add_argument("structures", nargs="+", metavar="STRUCTURE")
    convert.add_argument("-o", "--output-dir", required=True, metavar="DIR")
    convert.add_argument("--jobs", type=_positive_int, default=None,
                         help="worker processes (default: all cores)")
    convert.add_argument("--force", action="store_true",
                         help="rewrite caches that are newer than their structure file")
    convert.add_argument("--compression", choices=["uncompressed", "lz4", "zstd"],
                         default="uncompressed",
                         help="uncompressed (default) reads fastest; lz4/zstd are 2-4x "
                              "smaller")
    convert.add_argument("--shard-size", type=_positive_int, default=None, metavar="N",
                         help="write a sharded cache instead: about N structures per "
                              "Arrow file plus DIR/index.arrow (voxelize_cy.StructureCache); "
                              "re-running adds what is new or changed")
    convert.add_argument("--dask", default=None, metavar="SCHEDULER_ADDRESS",
                         help="parse on a Dask cluster (with --shard-size; needs the "
                              "dask extra)")
    _add_structure_options(convert)
    add_molcache_parser(sub)
    add_verify_parser(sub)
    return parser


def _load(args):
    from voxelize_cy.io.files import atoms_from_file

    typed = getattr(args, "channel_set", None) is not None  # residue names for typing
    atoms = atoms_from_file(args.structure, model=args.model, chain=args.chain,
                            hydrogens=not args.no_hydrogens, waters=not args.no_waters,
                            names=typed)
    # Elements as PDB writes them: upper case (mmCIF type_symbol is as written).
    atoms["element"] = atoms["element"].str.upper()
    if getattr(args, "channel_set", None) is not None:  # typed once, drawn many times
        atoms = add_channels(atoms, args.channel_set)
    return atoms


def _grid_params(args, center) -> ImageParams:
    shape = (len(args.channels), args.length, args.length, args.length)
    check_image_size(shape, np.dtype(args.dtype))
    grid = Grid(args.length, args.resolution, np.asarray(center, dtype=float))
    if args.channel_set is not None:
        return ImageParams(grid, args.channel_set.name, None)
    return ImageParams(grid, list(args.channels), args.radius)


def _check_png_possible(png: Optional[str]) -> None:
    if png is None or Path(png).suffix.lower() != ".png":
        if png is not None:
            raise CommandError(f"--png {png}: the preview file must end in .png")
        return
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CommandError("--png needs matplotlib: pip install 'voxelize_cy[plot]'") from None


def _check_output(path: str) -> str:
    try:
        kind = output_kind(path)
    except ValueError as err:
        raise CommandError(str(err)) from None
    folder = Path(path).parent
    if not folder.exists():
        raise CommandError(f"output folder does not exist: {folder}")
    if kind == ".png":
        _check_png_possible(path)
    return kind


def _count_in_image(atoms, params: ImageParams) -> int:
    from voxelize_cy.voxelize import _discard_atoms_outside_image

    if isinstance(params.channels, str):  # a typed table: each atom's own radius
        chosen = CHANNEL_SETS[params.channels]
        grid = params.grid
        reach = grid.length_voxels * grid.resolution_A / 2 + atoms[chosen.radius_column].to_numpy()
        offset = np.abs(atoms[["x", "y", "z"]].to_numpy() - np.asarray(grid.center_A))
        inside = (offset <= reach[:, None]).all(axis=1)
        return int((inside & (atoms[chosen.channel_column].to_numpy() >= 0)).sum())
    return len(_discard_atoms_outside_image(atoms, params))


def cmd_image(args) -> int:
    _check_output(args.output)
    _check_png_possible(args.png)
    if args.view == "3d" and not args.png and not args.output.lower().endswith(".png"):
        raise CommandError("--view 3d draws a picture: give --png FILE (or -o FILE.png)")
    atoms = _load(args)
    if args.center is not None:
        center, where = np.array(args.center), "the given centre"
    elif args.center_on:
        center, where = center_of_selection(args.structure, args.center_on, args.model)
    else:
        center = atoms[["x", "y", "z"]].to_numpy().mean(axis=0) if len(atoms) else np.zeros(3)
        where = "the centroid of the atoms"
    params = _grid_params(args, center)
    img = image_from_atoms(atoms, params, dtype=np.dtype(args.dtype), **_fill_options(args))
    if _count_in_image(atoms, params) == 0:
        print(f"{PROG}: warning: no atom of {Path(args.structure).name} is in the image "
              f"centred at ({center[0]:.2f}, {center[1]:.2f}, {center[2]:.2f}) Å "
              f"({args.length} × {args.resolution:g} Å wide); the structure spans "
              f"{extent_text(atoms)}", file=sys.stderr)
    title = (f"{Path(args.structure).name}: {args.length}³ × {args.resolution:g} Å at "
             f"({center[0]:.1f}, {center[1]:.1f}, {center[2]:.1f})")
    written = []
    for path in [args.output] + ([args.png] if args.png else []):
        if path.lower().endswith(".png") and args.view == "3d":
            from voxelize_cy.pictures.pymol import render_png

            written += render_png(path, img, center, args.resolution, args.channels,
                                  structure=args.structure)
        else:
            written += save_image(path, img, center_A=center, resolution_A=args.resolution,
                                  channels=args.channels, title=title, atoms=atoms)
    print(f"image {img.shape} {img.dtype} centred on {where} "
          f"({center[0]:.3f}, {center[1]:.3f}, {center[2]:.3f}) Å; sum per channel "
          f"{np.round(img.sum(axis=(1, 2, 3)), 3).tolist()}")
    for path in written:
        print(f"wrote {path}")
    return 0


def cmd_batch(args) -> int:
    kind = _check_output(args.output)
    if kind not in (".npy", ".npz"):
        raise CommandError(f"batch writes .npy or .npz, not {kind}")
    _check_png_possible(args.png)
    atoms = _load(args)
    centers, how = read_centers(args.centers)
    print(f"{args.centers}: {len(centers)} centres ({how})", file=sys.stderr)
    params = [_grid_params(args, c) for c in centers]
    L = args.length
    shape = (len(params), len(args.channels), L, L, L)
    check_image_size(shape, np.dtype(args.dtype), "batch")
    out = np.empty(shape, dtype=np.dtype(args.dtype))
    bar = ProgressBar(len(params))
    chunk = 64
    for start in range(0, len(params), chunk):
        stop = min(start + chunk, len(params))
        images_from_atoms(atoms, params[start:stop], num_threads=args.threads,
                          dtype=out.dtype, out=out[start:stop], **_fill_options(args))
        bar.update(stop)
    bar.close()
    if kind == ".npy":
        np.save(args.output, out)
    else:
        np.savez(args.output, images=out, centers_A=centers, resolution_A=args.resolution,
                 channels=np.array(args.channels, dtype=str), length_voxels=L)
    print(f"wrote {args.output}: shape {out.shape}, {out.dtype}")
    if args.png:
        save_image(args.png, out[0], center_A=centers[0], resolution_A=args.resolution,
                   channels=args.channels, atoms=atoms,
                   title=f"image 0 of {len(out)}: {Path(args.structure).name} at "
                         f"({centers[0][0]:.1f}, {centers[0][1]:.1f}, {centers[0][2]:.1f})")
        print(f"wrote {args.png} (a preview of image 0)")
    return 0


def cmd_demo(args) -> int:
    from voxelize_cy.io.example import EXAMPLE_SEQUENCE, example_atoms

    folder = Path(args.output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    atoms = example_atoms()
    center = atoms[["x", "y", "z"]].to_numpy().mean(axis=0)
    channels = ["C", "N", "O", "S"]
    params = ImageParams(Grid(24, 1.0, center), channels,
                         {"C": 1.7, "N": 1.55, "O": 1.52, "S": 1.8})
    start = time.perf_counter()
    img = image_from_atoms(atoms, params)
    elapsed_ms = (time.perf_counter() - start) * 1e3
    print(f"voxelized the example peptide {EXAMPLE_SEQUENCE} ({len(atoms)} atoms) "
          f"into {img.shape} in {elapsed_ms:.2f} ms")
    print(f"sum per channel "
          f"{dict(zip(channels, np.round(img.sum(axis=(1, 2, 3)), 3).tolist()))}")
    for name in ("demo.npy", "demo.npz"):
        for path in save_image(folder / name, img, center_A=center, resolution_A=1.0,
                               channels=channels):
            print(f"wrote {path}")
    try:
        for path in save_image(folder / "demo.png", img, center_A=center, resolution_A=1.0,
                               channels=channels, atoms=atoms,
                               title=f"α-helix {EXAMPLE_SEQUENCE}, van der Waals radii, "
                                     f"24³ voxels of 1 Å"):
            print(f"wrote {path}")
    except ImportError as err:
        print(f"no PNG: {err}")
    return 0


def cmd_convert(args) -> int:
    from voxelize_cy.io.convert import convert_structures

    bar = ProgressBar(len(args.structures), label="structures")
    done = failed = written = 0

    def on_result(result):
        nonlocal done, failed, written
        done += 1
        if result.status == "failed":
            failed += 1
            if bar.enabled:
                sys.stderr.write("\n")
            print(f"{PROG}: {result.source}: {result.message}", file=sys.stderr)
        elif result.status == "written":
            written += 1
        bar.update(done)

    options = dict(model=args.model, chain=args.chain, hydrogens=not args.no_hydrogens,
                   waters=not args.no_waters)
    if args.dask and args.shard_size is None:
        raise CommandError("--dask converts into a sharded cache: give --shard-size too")
    if args.shard_size is not None:
        from voxelize_cy.io.shards import convert_to_shards

        if args.compression != "uncompressed":
            raise CommandError("shards are uncompressed (memory-mapped without a copy); "
                               "drop --compression")
        client = executor = None
        if args.dask:
            try:
                from distributed import Client
            except ImportError:
                raise CommandError("--dask needs dask.distributed: pip install "
                                   "'voxelize_cy[dask]'") from None
            client = Client(args.dask)
            executor = client.get_executor()
        try:
            convert_to_shards(args.structures, args.output_dir, shard_size=args.shard_size,
                              executor=executor, jobs=args.jobs, force=args.force,
                              on_result=on_result, **options)
        finally:
            if client is not None:
                client.close()
    else:
        convert_structures(args.structures, args.output_dir, jobs=args.jobs,
                           force=args.force, compression=args.compression,
                           on_result=on_result, **options)
    bar.close()
    skipped = done - failed - written
    print(f"{written} written, {skipped} up to date, {failed} failed -> {args.output_dir}")
    return 2 if failed else 0


COMMANDS = {"image": cmd_image, "batch": cmd_batch, "demo": cmd_demo, "convert": cmd_convert,
            "molcache": cmd_molcache, "verify": cmd_verify}


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run ``voxelize-cy``; returns the exit status (0, or 2 on any error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if hasattr(args, "channels"):
            args.channel_set = None
            if len(args.channels) == 1 and args.channels[0] in CHANNEL_SETS:
                args.channel_set = CHANNEL_SETS[args.channels[0]]
                args.channels = list(args.channel_set.channel_names)
            else:
                args.channels = parse_channels(args.channels)
            args.radius = parse_radius(args.radius)
        return COMMANDS[args.command](args)
    except KeyError as err:  # the original's "no radius for this element"
        message = str(err.args[0]) if err.args else "missing key"
    except (CommandError, FileNotFoundError, ValueError, TypeError, RuntimeError,
            MemoryError, OSError, ImportError) as err:
        message = str(err) or type(err).__name__
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
