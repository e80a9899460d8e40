import os
import stat

import pandas as pd
import pytest

from riata.errors import RiataError
from riata.io.tables import atomic_outputs, read_table, separator_for, write_table


def test_atomic_outputs_move_all_files_into_place(tmp_path):
    targets = [tmp_path / "a.tsv", tmp_path / "sub" / "b.txt"]
    with atomic_outputs(targets) as temporaries:
        for temporary in temporaries:
            temporary.write_text("x")
        assert not any(t.exists() for t in targets)
    assert [t.read_text() for t in targets] == ["x", "x"]
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["a.tsv", "b.txt"]


def test_atomic_outputs_leave_nothing_when_the_block_fails(tmp_path):
    targets = [tmp_path / "a.tsv", tmp_path / "b.tsv"]
    with pytest.raises(ValueError, match="boom"), atomic_outputs(targets) as temporaries:
        temporaries[0].write_text("half")
        raise ValueError("boom")
    assert list(tmp_path.iterdir()) == []


def test_atomic_outputs_get_the_usual_file_mode(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    write_table(pd.DataFrame({"a": [1]}), tmp_path / "t.tsv")
    assert stat.S_IMODE((tmp_path / "t.tsv").stat().st_mode) == 0o666 & ~umask


def test_temporary_names_keep_the_suffix_so_compression_is_inferred(tmp_path):
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    write_table(frame, tmp_path / "t.tsv.gz")
    assert (tmp_path / "t.tsv.gz").read_bytes()[:2] == b"\x1f\x8b"
    pd.testing.assert_frame_equal(read_table(tmp_path / "t.tsv.gz"), frame)


def test_separator_from_suffix_and_unknown_formats_refused(tmp_path):
    assert separator_for("x.csv") == ","
    assert separator_for("x.tsv") == "\t"
    with pytest.raises(RiataError, match=r"x\.xlsx: unknown table format '\.xlsx'"):
        separator_for("x.xlsx")


def test_missing_and_empty_tables_name_the_file(tmp_path):
    with pytest.raises(RiataError, match=r"nope\.tsv: table not found"):
        read_table(tmp_path / "nope.tsv")
    (tmp_path / "empty.tsv").write_text("")
    with pytest.raises(RiataError, match=r"empty\.tsv: file is empty"):
        read_table(tmp_path / "empty.tsv")


@pytest.mark.parametrize("name", ["loadings.parquet", "loadings.tsv"])
def test_loadings_sit_beside_the_ids_of_the_passing_variants(tmp_path, name):
    import numpy as np

    from riata.io.variant_tables import loadings_writer, read_loadings

    variants = pd.DataFrame({"snp": [f"rs{i}" for i in range(7)], "chrom": ["1", "1", "1", "2", "2", "X", "X"],
                             "pos": range(100, 107), "a1": "A", "a2": "G", "a1_freq": 0.3,
                             "pass": [True, False, True, True, False, True, True]})  # fmt: skip
    variants.to_csv(tmp_path / "variants.tsv", sep="\t", index=False)
    loadings = np.arange(10, dtype=np.float32).reshape(5, 2) / 7
    with loadings_writer(tmp_path / name, tmp_path / "variants.tsv", 2) as write:
        write(0, loadings[:3])  # chunks of loadings and of the variant table do not line up
        write(3, loadings[3:])
    written = read_table(tmp_path / name, dtype={"snp": str, "chrom": str})
    assert written.columns.tolist() == ["snp", "chrom", "pos", "a1", "a2", "loading_0", "loading_1"]
    passing = variants[variants["pass"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(written[["snp", "chrom", "pos", "a1", "a2"]], passing[written.columns[:5]])
    np.testing.assert_array_equal(written[["loading_0", "loading_1"]].to_numpy(np.float32), loadings)
    ids, read_back = read_loadings(tmp_path / name)
    assert read_back.columns.tolist() == ["genetic_0", "genetic_1"]  # named as the components they weigh
    pd.testing.assert_frame_equal(ids, written[["snp", "chrom", "pos", "a1", "a2"]])
    np.testing.assert_array_equal(read_back.to_numpy(np.float32), loadings)
