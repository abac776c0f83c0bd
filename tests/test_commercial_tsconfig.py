"""Reading TypeScript's import aliases from tsconfig files (rules/boundary/tsconfig.py)."""

from __future__ import annotations

from rules.commercial.boundary import resolve_js_specifier
import pytest

from rules.commercial.boundary.tsconfig import UnusableConfig, merge_aliases, nearest_tsconfig, parse, tsconfig_aliases


def reader(files: dict[str, str], log: list[str] | None = None):
    async def read(path: str) -> str | None:
        if log is not None:
            log.append(path)
        return files.get(path)
    return read


async def test_paths_resolve_against_base_url():
    files = {"tsconfig.json": '{"compilerOptions": {"baseUrl": "src", "paths": {"@/*": ["*"], "~ee": ["../ee"]}}}'}
    aliases = await tsconfig_aliases(reader(files), "src/app/main.ts")
    # Each key also falls back to baseUrl, as tsc does when no mapping resolves.
    assert aliases == {"@/*": ["src/*", "src/@/*"], "~ee": ["ee", "src/~ee"], "*": ["src/*"]}
    assert resolve_js_specifier("@/ee/x", "src/app/main.ts", aliases)[0] == "src/ee/x"
    assert resolve_js_specifier("~ee/billing", "src/app/main.ts", aliases)[0] == "ee/billing"


async def test_a_star_mapping_does_not_hide_the_base_url_lookup():
    files = {"tsconfig.json": '{"compilerOptions": {"baseUrl": ".", "paths": {"*": ["types/*"]}}}'}
    aliases = await tsconfig_aliases(reader(files), "web/app.ts")
    assert resolve_js_specifier("ee/billing", "web/app.ts", aliases) == ("types/ee/billing", "ee/billing")


async def test_without_base_url_paths_resolve_against_the_declaring_file_and_bare_imports_stay_packages():
    files = {"web/tsconfig.json": '{"compilerOptions": {"paths": {"@ee/*": ["../ee/*"]}}}'}
    aliases = await tsconfig_aliases(reader(files), "web/src/app.ts")
    assert aliases == {"@ee/*": ["ee/*"]}
    assert resolve_js_specifier("react", "web/src/app.ts", aliases) == ()


async def test_comments_and_trailing_commas_are_read_as_tsc_reads_them():
    text = """{
      // the compiler options
      "compilerOptions": {
        /* aliases */ "paths": {"@ee/*": ["ee/*",],},
      },
    }"""
    assert parse(text) == {"compilerOptions": {"paths": {"@ee/*": ["ee/*"]}}}
    assert await tsconfig_aliases(reader({"tsconfig.json": text}), "a.ts") == {"@ee/*": ["ee/*"]}


async def test_extends_chain_child_replaces_parent_fields_each_against_its_own_folder():
    files = {
        "tsconfig.base.json": '{"compilerOptions": {"baseUrl": ".", "paths": {"@acme/ee/*": ["packages/ee/*"]}}}',
        "packages/app/tsconfig.json": '{"extends": ["@tsconfig/node20/tsconfig.json", "../../tsconfig.base"]}',
        "packages/lib/tsconfig.json": '{"extends": "../../tsconfig.base.json", '
                                      '"compilerOptions": {"paths": {"#ee/*": ["../ee/*"]}}}',
    }
    assert await tsconfig_aliases(reader(files), "packages/app/src/a.ts") == {
        "@acme/ee/*": ["packages/ee/*", "@acme/ee/*"], "*": ["*"]}
    # The child's paths replace the parent's and resolve against the inherited baseUrl (the
    # root), so `../ee/*` from the root leaves the repository and is dropped; the baseUrl
    # fallback of the key stays.
    assert await tsconfig_aliases(reader(files), "packages/lib/src/a.ts") == {"#ee/*": ["#ee/*"], "*": ["*"]}


async def test_child_paths_resolve_against_the_inherited_base_url():
    files = {
        "tsconfig.base.json": '{"compilerOptions": {"baseUrl": "."}}',
        "packages/lib/tsconfig.json": '{"extends": "../../tsconfig.base.json", '
                                      '"compilerOptions": {"paths": {"#ee/*": ["packages/ee/*"]}}}',
    }
    assert await tsconfig_aliases(reader(files), "packages/lib/src/a.ts") == {
        "#ee/*": ["packages/ee/*", "#ee/*"], "*": ["*"]}


async def test_a_solution_style_config_brings_in_its_referenced_projects_aliases():
    files = {
        "tsconfig.json": '{"files": [], "references": [{"path": "./tsconfig.app.json"}, {"path": "./tools"}]}',
        "tsconfig.app.json": '{"compilerOptions": {"paths": {"@/*": ["./src/*"]}}}',
        "tools/tsconfig.json": '{"compilerOptions": {"paths": {"@/*": ["../scripts/*"]}}}',
    }
    assert await tsconfig_aliases(reader(files), "src/main.ts") == {"@/*": ["src/*", "scripts/*"]}


async def test_a_jsconfig_is_read_when_there_is_no_tsconfig():
    files = {"jsconfig.json": '{"compilerOptions": {"baseUrl": ".", "paths": {"~/*": ["src/*"]}}}'}
    assert (await tsconfig_aliases(reader(files), "src/a.js"))["~/*"] == ["src/*", "~/*"]


def test_merged_alias_maps_keep_every_target():
    assert merge_aliases({"@/*": ["src/*"]}, {"@/*": ["ee/*", "src/*"], "~": ["lib"]}) == {
        "@/*": ["src/*", "ee/*"], "~": ["lib"]}


async def test_an_extends_loop_ends_and_a_broken_file_gives_no_aliases():
    loop = {"a/tsconfig.json": '{"extends": "./b.json", "compilerOptions": {"paths": {"@x": ["x"]}}}',
            "a/b.json": '{"extends": "./tsconfig.json"}'}
    assert await tsconfig_aliases(reader(loop), "a/f.ts") == {"@x": ["a/x"]}
    assert await tsconfig_aliases(reader({"tsconfig.json": "{ not json"}), "f.ts") == {}


async def test_targets_that_leave_the_repository_are_dropped():
    files = {"tsconfig.json": '{"compilerOptions": {"paths": {"@up/*": ["../outside/*"], "@ok": ["ok"]}}}'}
    assert await tsconfig_aliases(reader(files), "f.ts") == {"@ok": ["ok"]}


async def test_the_nearest_tsconfig_is_found_by_walking_up():
    seen: list[str] = []
    files = {"packages/web/tsconfig.json": "{}", "tsconfig.json": "{}"}
    assert await nearest_tsconfig(reader(files, seen), "packages/web/src/deep/a.ts") == "packages/web/tsconfig.json"
    assert seen == ["packages/web/src/deep/tsconfig.json", "packages/web/src/tsconfig.json",
                    "packages/web/tsconfig.json"]
    seen.clear()
    assert await nearest_tsconfig(reader({}, seen), "a/b.ts") is None
    assert seen == ["a/tsconfig.json", "tsconfig.json", "a/jsconfig.json", "jsconfig.json"]
    assert await nearest_tsconfig(reader({}), "a/b.ts") is None


@pytest.mark.parametrize("text, reason", [
    ("[" * 300 + "]" * 300, "nested deeper than 64 levels"),
    ("// deep\n" + "[" * 65 + "]" * 65, "nested deeper than 64 levels"),
    ('{"pad": "' + "x" * 70_000 + '"}', "larger than 64 KiB"),
])
async def test_configs_past_the_limits_are_refused_with_the_reason(text, reason):
    with pytest.raises(UnusableConfig) as refused:
        await tsconfig_aliases(reader({"web/tsconfig.json": text}), "web/a.ts")
    assert (refused.value.path, refused.value.reason) == ("web/tsconfig.json", reason)


def test_each_distinct_text_is_parsed_once():
    from rules.commercial.boundary import tsconfig

    text = '{"compilerOptions": {"baseUrl": "."}} // once'
    tsconfig._parsed.cache_clear()
    for _ in range(5):
        assert parse(text) == {"compilerOptions": {"baseUrl": "."}}
    assert tsconfig._parsed.cache_info().misses == 1
