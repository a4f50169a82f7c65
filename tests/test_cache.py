"""The tissue cache: plain-data files (no pickle), broken files rebuilt, only its own files
deleted, a read-only folder tolerated, and the model's accessors served from it.

Most tests use a small stand-in model that counts how often it generates; the last ones
compare the real model's accessors with the cached ones.
"""

from __future__ import annotations

import io
import json
import os
import pickle
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import glute3d.render.cache as cache_module
from glute3d.errors import did_you_mean
from glute3d.geometry.mesh import Mesh
from glute3d.render import CachedModel, cache_dir, cache_info, clear_cache
from glute3d.render.cache import model_fingerprint
from glute3d.render.cachefiles import (
    FORMAT,
    decode,
    encode,
    entry_name,
    is_cache_file,
    prune,
    read_entry,
    write_entry,
)

KEY = "0123456789abcdef01234567"
OTHER_KEY = "fedcba9876543210fedcba98"


def tetra(offset: float) -> Mesh:
    v = np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]) + offset
    return Mesh(v, np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]], np.int32))


class StandIn:
    """Two bones, a muscle, a muscle part and skin; ``made`` counts generations."""

    pose = None
    parameters: dict = {}
    source = None
    kinds = {
        "femur_r": "bone",
        "hip_bone_r": "bone",
        "gluteus_medius_r": "muscle",
        "gluteus_medius_anterior_r": "muscle_part",
        "skin": "skin",
    }

    def __init__(self, offset: float = 0.0) -> None:
        self.made = 0
        self.offset = offset
        self.bones = {"hip_bone_r": tetra(offset), "femur_r": tetra(offset + 10)}
        self.landmarks = SimpleNamespace(points={}, curves={}, regions={})

    @property
    def meshes(self) -> dict[str, Mesh]:
        self.made += 1
        return {**self.bones, "gluteus_medius_r": tetra(self.offset + 20), "skin": tetra(self.offset + 30)}

    def muscle_parts(self) -> dict[str, Mesh]:
        self.made += 1
        return {"gluteus_medius_anterior_r": tetra(self.offset + 40)}

    def posed(self, pose) -> StandIn:
        twin = StandIn(self.offset)
        twin.pose = pose
        return twin

    def with_variant(self, **switches: str) -> StandIn:
        return StandIn(self.offset)

    def structure_names(self, kind: str | None = None) -> list[str]:
        return sorted(n for n, k in self.kinds.items() if kind in (None, k))

    def structure_kind(self, name: str) -> str:
        if name not in self.kinds:
            raise KeyError(f"unknown structure {name!r}{did_you_mean(name, self.kinds)}")
        return self.kinds[name]


def same(a, b) -> bool:
    """Deep equality that also checks containers keep their type and arrays their dtype."""
    if isinstance(a, np.ndarray):
        return (
            isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
        )
    if isinstance(a, Mesh):
        return isinstance(b, Mesh) and same(a.vertices, b.vertices) and same(a.faces, b.faces)
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (float, np.floating)) and np.isnan(a):
        return isinstance(b, float) and np.isnan(b)
    if isinstance(a, (bool, np.bool_)):
        return isinstance(b, bool) and bool(a) == b
    if isinstance(a, (int, float, np.integer, np.floating)):
        return isinstance(b, (int, float)) and a == b
    return type(a) is type(b) and a == b


# =============================================================================== the file format
PLAIN = {
    "names": ["skin", "gluteus_medius_r"],
    "pair": (np.arange(12, dtype=np.float64).reshape(4, 3), np.array([[0, 1, 2]], np.int32)),
    "mask": np.array([True, False, True]),
    "bytes": np.arange(5, dtype=np.uint8),
    "scalar": np.float64(2.5),
    "nothing": None,
    "nan": float("nan"),
    "empty": np.zeros((0, 3)),
    "layers": [("subcutaneous", 0.0, 12.5), ("gluteus_medius_r", 12.5, 40.0)],
    "nested": {"exit": None, "branches": {"main": np.ones((3, 3))}, "radii": {"main": 1.5}},
    "flag": True,
    "count": 3,
}


def test_plain_data_round_trips_with_types(tmp_path):
    assert write_entry(tmp_path, KEY, PLAIN)
    back = read_entry(tmp_path, KEY)
    assert same(PLAIN, back)
    assert isinstance(back["pair"], tuple) and isinstance(back["layers"][0], tuple)
    assert isinstance(back["names"], list)


@pytest.mark.parametrize("bad", [np.array([{"a": 1}], dtype=object), tetra(0.0), {1: "int key"}, {"a", "b"}])
def test_only_plain_data_is_stored(tmp_path, bad):
    with pytest.raises(TypeError, match="plain data only"):
        write_entry(tmp_path, KEY, {"value": bad})
    assert list(tmp_path.iterdir()) == []


def test_entries_are_data_not_code(tmp_path):
    """Every member is a numeric array; a pickle under an entry's name is never unpickled."""
    write_entry(tmp_path, KEY, PLAIN)
    with np.load(tmp_path / entry_name(KEY), allow_pickle=False) as npz:
        assert all(npz[m].dtype.kind in "biuf" for m in npz.files)

    marker = tmp_path / "unpickled"

    class Trap:
        def __reduce__(self):
            return (Path.touch, (marker,))

    (tmp_path / entry_name(OTHER_KEY)).write_bytes(pickle.dumps(Trap()))
    assert read_entry(tmp_path, OTHER_KEY) is None
    # an .npz whose array needs pickle to load: refused as well
    np.savez(tmp_path / "objects.npz", meta=np.array([Trap()], dtype=object))
    (tmp_path / "objects.npz").rename(tmp_path / entry_name(OTHER_KEY))
    assert read_entry(tmp_path, OTHER_KEY) is None
    assert not marker.exists()


def damaged(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "truncated":
        path.write_bytes(bytes(data[: len(data) // 2]))
    elif how == "flipped byte":
        data[len(data) // 3] ^= 0xFF  # inside an array's bytes
        path.write_bytes(bytes(data))
    elif how == "garbage":
        path.write_bytes(os.urandom(2000))
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "folder":
        path.unlink()
        path.mkdir()


@pytest.mark.parametrize("how", ["truncated", "flipped byte", "garbage", "empty", "folder"])
def test_damaged_entries_read_as_missing(tmp_path, how):
    write_entry(tmp_path, KEY, {"big": np.arange(30000.0)})
    damaged(tmp_path / entry_name(KEY), how)
    assert read_entry(tmp_path, KEY) is None


def test_an_entry_under_another_name_is_not_used(tmp_path):
    """A renamed or copied file is foreign: its key (inside the file) must match its name."""
    write_entry(tmp_path, KEY, {"x": np.ones(3)})
    (tmp_path / entry_name(KEY)).rename(tmp_path / entry_name(OTHER_KEY))
    assert read_entry(tmp_path, OTHER_KEY) is None


def test_other_format_versions_are_not_read(tmp_path):
    data = encode({"x": np.ones(3)}, KEY)
    older = data.replace(f'"format": {FORMAT}'.encode(), f'"format": {FORMAT - 1}'.encode())
    assert older != data
    (tmp_path / entry_name(KEY)).write_bytes(older)
    assert read_entry(tmp_path, KEY) is None
    assert same({"x": np.ones(3)}, decode(io.BytesIO(data), KEY))


def test_array_references_outside_the_file_are_refused(tmp_path):
    """A file whose JSON points past its arrays (a forged or damaged entry) reads as missing."""
    meta = {"format": FORMAT, "key": KEY, "tree": {"$array": ["float64", 2, [5]]}}
    np.savez(tmp_path / "forged.npz", float64=np.ones(3), meta=np.frombuffer(json.dumps(meta).encode(), np.uint8))
    (tmp_path / "forged.npz").rename(tmp_path / entry_name(KEY))
    assert read_entry(tmp_path, KEY) is None
    meta["tree"] = {"$array": ["float64", 1, [2]]}  # inside: read
    (tmp_path / entry_name(KEY)).unlink()
    np.savez(tmp_path / "fine.npz", float64=np.arange(3.0), meta=np.frombuffer(json.dumps(meta).encode(), np.uint8))
    (tmp_path / "fine.npz").rename(tmp_path / entry_name(KEY))
    assert read_entry(tmp_path, KEY).tolist() == [1.0, 2.0]


def test_keys_must_be_hex_digests():
    with pytest.raises(ValueError, match="24 lowercase hex digits"):
        entry_name("../../etc/passwd")


# =============================================================================== the folder
def user_files(folder: Path) -> dict[str, bytes]:
    """Files a user keeps in the cache folder, some named almost like entries."""
    files = {
        "notes.txt": b"my notes",
        "results.npz": b"not ours",
        "0123456789abcdef01234567.pkl": b"an old-style name",
        "glute3d-tissue-v4-XYZ.npz": b"not a key",
        "glute3d-tissue-v4-0123456789abcdef01234567.npz.bak": b"a backup",
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


def entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if is_cache_file(p.name))


def test_prune_deletes_only_the_least_recently_used_entries(tmp_path):
    mine = user_files(tmp_path)
    keys = [f"{i:024x}" for i in range(5)]
    for t, key in enumerate(keys):
        write_entry(tmp_path, key, {"i": t})
        os.utime(tmp_path / entry_name(key), (1000.0 + t, 1000.0 + t))
    assert read_entry(tmp_path, keys[0]) == {"i": 0}  # reading makes the oldest the newest
    assert prune(tmp_path, keep=2) == 3
    assert entries(tmp_path) == sorted(entry_name(k) for k in (keys[0], keys[4]))
    assert {n: (tmp_path / n).read_bytes() for n in mine} == mine


def test_writing_prunes_to_the_limit(tmp_path):
    for i in range(6):
        write_entry(tmp_path, f"{i:024x}", {"i": i}, keep=4)
        os.utime(tmp_path / entry_name(f"{i:024x}"), (1000.0 + i, 1000.0 + i))
    assert len(entries(tmp_path)) == 4


def test_cache_info_and_clear_cache_count_only_own_files(tmp_path):
    mine = user_files(tmp_path)
    write_entry(tmp_path, KEY, {"x": np.ones(100)})
    write_entry(tmp_path, OTHER_KEY, {"x": np.ones(10)})
    leftover = tmp_path / f".{entry_name(KEY)}.abc_12xy.tmp"  # an interrupted write
    leftover.write_bytes(b"half")
    info = cache_info(tmp_path)
    sizes = sum((tmp_path / entry_name(k)).stat().st_size for k in (KEY, OTHER_KEY))
    assert (info.folder, info.entries, info.bytes) == (tmp_path, 2, sizes)
    assert clear_cache(tmp_path) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(mine)
    assert cache_info(tmp_path).entries == 0


def test_cache_info_of_a_missing_or_disabled_cache(tmp_path, monkeypatch):
    assert cache_info(tmp_path / "none").entries == 0 and clear_cache(tmp_path / "none") == 0
    monkeypatch.setenv("GLUTE3D_CACHE", "off")
    info = cache_info()
    assert (info.folder, info.entries, info.bytes) == (None, 0, 0)
    assert clear_cache() == 0


@pytest.mark.parametrize("value", ["", "0", "off", "OFF", " no ", "false"])
def test_cache_can_be_switched_off(monkeypatch, value):
    monkeypatch.setenv("GLUTE3D_CACHE", value)
    assert cache_dir() is None


def test_cache_folder_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GLUTE3D_CACHE", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"
    monkeypatch.delenv("GLUTE3D_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "glute3d"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "glute3d"


# =============================================================================== CachedModel
def test_second_wrapper_reads_instead_of_generating(tmp_path):
    model = StandIn()
    first = CachedModel(model, tmp_path)
    assert not first.preload() and model.made == 0  # preload never generates
    made = first.meshes
    assert model.made == 1 and len(entries(tmp_path)) == 1
    again = CachedModel(model, tmp_path)
    assert again.preload()
    assert same(made, again.meshes) and same(first.muscle_parts(), again.muscle_parts())
    assert model.made == 2  # the muscle parts, once
    assert list(again.meshes) == list(model.meshes)  # the model's order: bones first


@pytest.mark.parametrize("how", ["truncated", "garbage", "empty", "folder"])
def test_broken_entries_are_rebuilt(tmp_path, how):
    model = StandIn()
    expected = CachedModel(model, tmp_path).meshes
    (path,) = [tmp_path / n for n in entries(tmp_path)]
    damaged(path, how)
    model.made = 0
    rebuilt = CachedModel(model, tmp_path)
    assert same(expected, rebuilt.meshes) and model.made == 1
    if how != "folder":  # a folder in the way stays; a file is written again
        assert same(CachedModel(model, tmp_path).meshes, expected)
        assert model.made == 1


def test_a_folder_that_cannot_be_written_only_costs_time(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    model = StandIn()
    cached = CachedModel(model, blocker / "cache")
    assert same(cached.meshes, CachedModel(StandIn(), None).meshes)
    assert cached.meshes["skin"] is cached.meshes["skin"]
    assert model.made == 1  # kept in memory

    def refuse(path, data):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("glute3d.render.cachefiles.write_atomically", refuse)
    other = StandIn(offset=5.0)
    assert same(CachedModel(other, tmp_path / "ro").muscle_parts(), other.muscle_parts())
    assert not (tmp_path / "ro").exists()


def test_memory_only_without_a_folder(tmp_path):
    model = StandIn()
    cached = CachedModel(model, None)
    assert cached.meshes["skin"] is cached.meshes["skin"]
    assert model.made == 1 and cached.folder is None


def test_structure_accessors_answer_like_the_model(tmp_path):
    model = StandIn()
    cached = CachedModel(model, tmp_path)
    assert cached.structure_names() == model.structure_names()
    assert cached.structure_names("bone") == ["femur_r", "hip_bone_r"]
    assert cached.structure_kind("gluteus_medius_anterior_r") == "muscle_part"
    assert cached.structure("femur_r") is model.bones["femur_r"]
    assert same(cached.structure("skin"), model.meshes["skin"])
    assert same(cached.structure("gluteus_medius_anterior_r"), model.muscle_parts()["gluteus_medius_anterior_r"])
    assert cached.structure("skin") is cached.structure("skin")  # one Mesh object per structure
    with pytest.raises(KeyError, match="did you mean 'gluteus_medius_r'"):
        cached.structure("gluteus_medius_x")


def test_keys_follow_pose_variants_and_inputs(tmp_path):
    from glute3d.anatomy.pose import Pose

    a = CachedModel(StandIn(), tmp_path)
    assert a.key("meshes") != a.key("parts")
    assert CachedModel(StandIn(), tmp_path).key("meshes") == a.key("meshes")  # same inputs, same key
    assert CachedModel(StandIn(offset=1.0), tmp_path).key("meshes") != a.key("meshes")  # other bones
    flexed = a.posed(Pose(flexion=60))
    assert flexed is a.posed(Pose(flexion=60))  # one wrapper per pose: its meshes are read once
    assert flexed.key("meshes") not in (a.key("meshes"), a.posed(Pose(flexion=30)).key("meshes"))
    assert a.with_variant(sciatic="normal").key("meshes") == a.key("meshes")
    assert a.with_variant(sciatic="fibular_pierces_piriformis").key("meshes") != a.key("meshes")


def test_fingerprint_follows_generator_sources_not_other_files(tmp_path, monkeypatch):
    pkg = tmp_path / "pkg"
    for rel in ("anatomy/muscles.py", "scene/injection.py", "render/core.py", "data/muscles.toml"):
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(f"# {rel}\n")
    monkeypatch.setattr(cache_module, "_PACKAGE", pkg)
    model = StandIn()
    base = model_fingerprint(model)
    (pkg / "render" / "core.py").write_text("# the renderer changed\n")
    assert model_fingerprint(model) == base
    (pkg / "anatomy" / "muscles.py").write_text("# a generator changed\n")
    changed = model_fingerprint(model)
    assert changed != base
    (pkg / "data" / "muscles.toml").write_text("# muscle data changed\n")
    assert model_fingerprint(model) != changed


def test_fingerprint_follows_the_skin_file_contents(tmp_path):
    model = StandIn()
    model.source = tmp_path
    (tmp_path / "skin.ply").write_bytes(b"ply 1")
    base = model_fingerprint(model)
    os.utime(tmp_path / "skin.ply", (5.0, 5.0))
    assert model_fingerprint(model) == base  # touched, not changed
    (tmp_path / "skin.ply").write_bytes(b"ply 2")
    assert model_fingerprint(model) != base


# =============================================================================== the real model
@pytest.fixture(scope="module")
def warm_folder(tmp_path_factory, bone_model):
    """A cache folder holding the real model's soft tissues and muscle parts."""
    folder = tmp_path_factory.mktemp("tissue-cache")
    first = CachedModel(bone_model, folder)
    assert first.meshes and first.muscle_parts()
    return folder


def test_real_model_accessors_from_the_cache(bone_model, warm_folder):
    import glute3d

    fresh = glute3d.load_model()  # nothing generated yet
    cached = CachedModel(fresh, warm_folder)
    for kind in (None, "bone", "muscle", "muscle_part", "nerve", "artery", "skin"):
        assert cached.structure_names(kind) == bone_model.structure_names(kind)
    names = [
        "femur_r",
        "gluteus_minimus_r",
        "gluteus_minimus_anterior_r",
        "superior_gluteal_nerve_r",
        "superior_gluteal_artery_l",
        "skin",
    ]
    for name in names:
        assert cached.structure_kind(name) == bone_model.structure_kind(name)
        assert same(cached.structure(name), bone_model.structure(name)), name
    assert same(cached.muscle_parts(), bone_model.muscle_parts())
    assert "muscles" not in fresh._cache and "skin" not in fresh._cache, "served from the cache, not generated"

    def message(structure, name: str) -> str:
        with pytest.raises(KeyError) as error:
            structure(name)
        return str(error.value)

    assert message(cached.structure, "gluteus_minimis_r") == message(bone_model.structure, "gluteus_minimis_r")


def test_real_injection_data_survives_the_disk(bone_model, tmp_path):
    made = CachedModel(bone_model, tmp_path).injection_data(60.0)  # made (by injection_data) and written
    assert len(entries(tmp_path)) == 1
    read = CachedModel(bone_model, tmp_path).injection_data(60.0)
    assert same(made, read)
    assert {"skin", "sites", "needles", "safety", "threshold"} <= set(read)
    assert isinstance(read["skin"], Mesh)
