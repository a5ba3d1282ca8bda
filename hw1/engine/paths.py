r"""Every folder of the project, named once.  Nothing else in hw1 builds paths by hand.

Where the document lives is configuration, read from ``[tool.hw1]`` in the project's
``pyproject.toml`` (the project is the folder that holds the hw1 package)::

    [tool.hw1]
    main = "doc/main.tex"     # the document's main LaTeX file
    doc = "doc"               # hand-written .tex files and the modules beside them
    figures = "figures"       # generated figures
    build = "build"           # everything else the build makes
    previews = "previews"     # PNG previews of the first pages
    declaration_time_limit = 1800   # seconds one declaration may compute before it is stopped
    tex_time_limit = 600            # seconds one pdflatex pass may run before it is stopped
    claim_order = "none"      # how claims print their terms: as written ("none"), or in one
                              # of sympy's orders ("lex", "grlex", "rev-lex")

Every key is optional except ``main``; ``doc`` defaults to the folder of ``main``, ``pdf``
(the PDF's file name, in ``build``) to the main file's name.  (Whether ``\fig`` prints its
provenance note is the LaTeX's own choice: ``\usepackage[nofignotes]{verified}``.)

Several documents: one ``[tool.hw1.documents.<name>]`` table each, with the same keys (their
``build``, ``figures`` and ``previews`` default to ``build/<name>``...; no two may overlap);
``[tool.hw1]`` itself may then hold only the settings they share.  A process works on one
document, chosen before the engine is imported: ``$HW1_DOCUMENT`` (``invoke --doc <name>``
sets it), else the first table.  The constants below are that document's, read once.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]   # the project: the folder that holds the hw1 package
PACKAGE = ROOT / "hw1"
CONFIG_FILE = ROOT / "pyproject.toml"
DEFAULTS = {"figures": "figures", "build": "build", "previews": "previews", "claim_order": "none"}
PATH_KEYS = ("main", "doc", "figures", "build", "previews")
LIMITS = {"declaration_time_limit": 1800.0, "tex_time_limit": 600.0}   # seconds
CLAIM_ORDERS = ("none", "lex", "grlex", "rev-lex")   # printing.ORDERS (which imports sympy)
KEYS = (*PATH_KEYS, "pdf", *LIMITS, "claim_order")


class ConfigError(ValueError):
    """``[tool.hw1]`` is missing or names something that is not there."""


def _simple_table(text: str) -> dict[str, str | float] | None:
    """The ``[tool.hw1]`` table if it holds only ``key = "string"`` and ``key = number`` lines
    (the usual case, read without importing tomllib, which costs a no-op build 15 ms); None if
    anything else is there,
    or no such table (then tomllib reads the file, and says if it is not TOML)."""
    m = re.search(r"^\[tool\.hw1\][ \t]*(?:#.*)?$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    if not m:
        return None
    table = {}
    for line in m.group(1).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        kv = re.fullmatch(r'([A-Za-z_][\w-]*)\s*=\s*(?:"([^"\\]*)"|(\d+(?:\.\d+)?))\s*(?:#.*)?', line)
        if not kv:
            return None
        table[kv.group(1)] = kv.group(2) if kv.group(3) is None else float(kv.group(3))
    return table


def _read_table(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    table = None if re.search(r"^\[tool\.hw1\.", text, re.M) else _simple_table(text)
    if table is None:
        try:
            import tomllib
        except ImportError:            # Python 3.10
            import tomli as tomllib

        try:
            table = tomllib.loads(text).get("tool", {}).get("hw1", {})
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path.name} is not valid TOML: {exc}") from None
    return table


def _check_document(table: dict, where: str, defaults: dict) -> dict:
    """One document's settings (``where`` names its table in messages), checked, with defaults."""
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; expected some of {list(KEYS)}")
    for key in LIMITS:
        value = table.get(key, LIMITS[key])
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1e9:
            raise ConfigError(f"{where}: {key} must be a positive number of seconds, got {value!r}")
    bad = [k for k, v in table.items() if k in (*PATH_KEYS, "pdf") and (not isinstance(v, str) or not v)]
    if bad:
        raise ConfigError(f"{where}: {bad[0]} must be a non-empty path string, got {table[bad[0]]!r}")
    if "main" not in table:
        raise ConfigError(f"{where} has no main = \"<folder>/<document>.tex\": "
                          "hw1 does not know which document to build")
    if not table["main"].endswith(".tex"):
        raise ConfigError(f"{where}: main must name a .tex file, got {table['main']!r}")
    config = {**DEFAULTS, **defaults, "doc": Path(table["main"]).parent.as_posix(), **LIMITS,
              "pdf": Path(table["main"]).stem + ".pdf", **table}
    for key in LIMITS:
        config[key] = float(config[key])
    if config["claim_order"] not in CLAIM_ORDERS:
        raise ConfigError(f"{where}: claim_order must be one of {list(CLAIM_ORDERS)}, "
                          f"got {config['claim_order']!r}")
    for key in PATH_KEYS:
        if Path(config[key]).is_absolute() or ".." in Path(config[key]).parts:
            raise ConfigError(f"{where}: {key} must be a path inside the project, got {config[key]!r}")
    if Path(config["doc"]) == Path(".") or not config["doc"].replace("/", "").isidentifier():
        raise ConfigError(f"{where}: doc must be a folder inside the project whose name "
                          f"is a Python identifier (its modules are imported as <doc>.<module>), "
                          f"got {config['doc']!r}")
    if "/" in config["pdf"] or not config["pdf"].endswith(".pdf"):
        raise ConfigError(f"{where}: pdf must be a file name ending in .pdf (it goes in the build "
                          f"folder), got {config['pdf']!r}")
    return config


def read_documents(path: Path = CONFIG_FILE) -> dict[str, dict]:
    """Every document ``path`` configures, by name, checked: ``[tool.hw1]`` itself (one
    document, named after its main file), or one ``[tool.hw1.documents.<name>]`` table each
    (their build, figures and previews folders default to ``build/<name>`` and so on, and
    must not overlap: one document's build never touches another's outputs)."""
    table = _read_table(path)
    if "documents" not in table:
        config = _check_document(table, f"{path.name} [tool.hw1]", {})
        return {Path(config["main"]).stem: config}
    documents, shared = table["documents"], {k: v for k, v in table.items() if k != "documents"}
    if not isinstance(documents, dict) or not documents or \
            not all(isinstance(t, dict) for t in documents.values()):
        raise ConfigError(f"{path.name}: [tool.hw1.documents.<name>] must be tables, one per document")
    if set(shared) - {*LIMITS, "claim_order"}:
        raise ConfigError(f"{path.name} [tool.hw1]: beside documents, only {[*LIMITS, 'claim_order']} "
                          f"(settings they share), got {sorted(set(shared) - {*LIMITS, 'claim_order'})}")
    out = {}
    for name, doc_table in documents.items():
        if not re.fullmatch(r"[A-Za-z0-9_][\w.-]*", name):
            raise ConfigError(f"{path.name}: a document's name is letters, digits, -, _ and ., got {name!r}")
        defaults = {"build": f"build/{name}", "figures": f"figures/{name}", "previews": f"previews/{name}"}
        out[name] = _check_document({**shared, **doc_table}, f"{path.name} [tool.hw1.documents.{name}]",
                                    defaults)
    for key in ("build", "figures", "previews"):
        for a in out:
            for b in out:
                pa, pb = Path(out[a][key]), Path(out[b][key])
                if a != b and (pa == pb or pb.is_relative_to(pa)):
                    raise ConfigError(f"{path.name}: documents {a} and {b} share their {key} folder "
                                      f"({out[a][key]}, {out[b][key]}): give each its own")
    return out


def read_config(path: Path = CONFIG_FILE, name: str | None = None,
                documents: dict[str, dict] | None = None) -> dict:
    """The settings of the document ``name`` (default: ``$HW1_DOCUMENT``, which ``invoke
    --doc`` sets, else the first configured), checked, with its ``name``."""
    documents = read_documents(path) if documents is None else documents
    name = name or os.environ.get("HW1_DOCUMENT") or next(iter(documents))
    if name not in documents:
        raise ConfigError(f"unknown document {name!r}: {path.name} configures "
                          f"{', '.join(documents)}")
    return {**documents[name], "name": name}


DOCUMENTS = read_documents()       # every configured document's settings, by name
CONFIG = read_config(documents=DOCUMENTS)   # the chosen document's (read once, never written)
NAME = CONFIG["name"]              # its name: `invoke build-pdf --doc <name>`
MAIN_TEX = ROOT / CONFIG["main"]   # the document's main LaTeX file
DOC = ROOT / CONFIG["doc"]         # hand-written LaTeX and the modules beside it (tracked)
FIGURES = ROOT / CONFIG["figures"]  # generated figures (git-ignored)
BUILD = ROOT / CONFIG["build"]     # everything else the build makes (git-ignored)
GENERATED = BUILD / "generated"    # LaTeX fragments written by the build
CACHE = BUILD / "cache"            # content-addressed results: manifest and data files
TEX_OUT = BUILD / "tex"            # TeX's working folder (aux, log, fls, the preamble's format)
JOB = MAIN_TEX.stem                # TeX's job name: build/tex/<job>.log
PDF = BUILD / CONFIG["pdf"]        # the product (build/<job>.pdf unless named); replaced only by a
                                   # successful build
PREVIEWS = ROOT / CONFIG["previews"]  # PNG previews of the first pages, shown by README
# the build's own files: its lock, state and caches, TeX's working folders (under BUILD)
LOCK = BUILD / ".lock"                       # held while a build runs (build)
MANIFEST = CACHE / "manifest.json"           # every artifact's key and outputs, the TeX run's (store)
DATA = CACHE / "data"                        # the experiments' data, one file each (store)
NOOP_STATE = CACHE / "noop.json"             # what the no-op compares (noop)
HASHES = CACHE / "hashes.json"               # what each file hashed to, by its metadata (deps)
IMPORTS_CACHE = CACHE / "imports.json"       # what each source file imports, by content (deps)
DECLARATIONS_CACHE = CACHE / "declarations.json"   # what each module declares, by content (discover)
EPOCH_MEMO = CACHE / "epoch.json"            # the last commit's time, by its hash (latex)
FMT_DIR = TEX_OUT / "fmt"                    # the precompiled preamble (texformat)
FMT_TRIAL = FMT_DIR / "trial"                # where a new format's trial pass runs (latex)
STYLE_DIR = PACKAGE / "engine" / "tex"       # verified.sty, on TeX's search path


def tex_file(ext: str, folder: Path = TEX_OUT) -> Path:
    """A file of TeX's job in ``folder``: ``tex_file(".aux")`` is build/tex/<job>.aux."""
    return folder / f"{JOB}{ext}"


def ahead_dir(pid: int) -> Path:
    """The folder of the pass ``invoke watch``'s process ``pid`` started ahead of time."""
    return TEX_OUT / f"spare-{pid}"


DECLARATION_TIME_LIMIT = CONFIG["declaration_time_limit"]   # seconds, then a declaration is stopped
TEX_TIME_LIMIT = CONFIG["tex_time_limit"]                   # seconds, then a pdflatex pass is stopped

# the hand-written sources a build needs, relative to ROOT (tests and benchmarks copy these)
SOURCES = ("hw1", "tasks.py", "pyproject.toml",
           *(name for d in DOCUMENTS.values()
             for name in (d["doc"], f"{d['figures']}/README.md", f"{d['figures']}/.gitignore")))


def rel(path: Path) -> str:
    """``path`` relative to the project, for messages ("doc/part.tex")."""
    try:
        return Path(path).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


# -- what the build reads from its own state, and what it may delete -------------------------------
class NotAFile(Exception):
    """A file the build reads, or TeX writes, is a FIFO, a socket, a device or a folder: it is
    never opened (a FIFO would block the build forever)."""


def _kind(mode: int) -> str:
    import stat

    for test, name in ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device")):
        if test(mode):
            return name
    return "not a regular file"


def not_a_file(path: Path, mode: int) -> NotAFile:
    return NotAFile(f"{rel(path)} is {_kind(mode)}, not a regular file: hw1 does not open it (reading "
                    f"or writing it could wait forever); remove it, then build again")


def refuse_special(path: Path) -> None:
    """Raise NotAFile if ``path`` exists and is not a regular file (a FIFO, say); a missing
    file is fine (it is about to be written)."""
    import os
    import stat

    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if not stat.S_ISREG(mode):
        raise not_a_file(path, mode)


def read_bytes(path: Path) -> bytes:
    """The content of a regular file, read without ever blocking: a FIFO, a socket or a device
    is refused (NotAFile) before a byte is read.  Raises OSError as ``Path.read_bytes`` does."""
    import os
    import stat

    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise not_a_file(Path(path), mode)
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text(path: Path, encoding: str = "utf-8", errors: str = "strict") -> str:
    """``read_bytes`` decoded: the build's state files and TeX's auxiliary files are read so."""
    return read_bytes(path).decode(encoding, errors)


def output_file(name: object) -> Path | None:
    """The file a path read from the build's state (``name``, relative to the project) stands
    for, if it lies in the document's output folders (build/, figures/) and is not one of the
    hand-written sources; None otherwise: such a path is never read, written or deleted."""
    import os

    if not isinstance(name, str) or not name or "\0" in name or os.path.isabs(name):
        return None
    full = Path(os.path.normpath(ROOT / name))
    try:
        real = full.parent.resolve() / full.name     # a folder on the way may be a link elsewhere
    except (OSError, RuntimeError):
        return None
    hand_written = [ROOT / s for s in SOURCES] + [CONFIG_FILE, MAIN_TEX, DOC, PACKAGE]
    for p in (full, real):
        if not any(p.is_relative_to(folder) and p != folder
                   for folder in (BUILD, BUILD.resolve(), FIGURES, FIGURES.resolve())):
            return None
        if any(p == h or p.is_relative_to(h) for h in hand_written):
            return None
    return full


def raised_at(exc: BaseException) -> str:
    """Where the project's own code raised ``exc``: "doc/part.py:41", the innermost frame
    in the project outside the machinery that calls the author's code (hw1's engine);
    '' if none."""
    import traceback

    machinery = (PACKAGE / "engine",)
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        file = Path(frame.filename).resolve()
        if file.is_relative_to(ROOT) and not any(file.is_relative_to(m) for m in machinery):
            return f"{rel(file)}:{frame.lineno}"
    return ""


def copy_sources(dest: Path) -> Path:
    """Copy the hand-written sources into ``dest``: a project that builds on its own."""
    import shutil

    for name in dict.fromkeys(SOURCES):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest
