"""Which comment syntax a file uses, decided from its name, extension or shebang.

The licence-header rule can only ask for a header in a file whose comment syntax it
knows, and it must give the contributor the exact text to paste. This module holds our
own table of languages (comment tokens, the names/extensions/interpreters that select
them, and the lines that may legitimately stand before a header) plus the detection
that maps a path and the file's first bytes to one of them, or to a reason why the file
cannot hold a header at all.

Detection order (first hit wins):

1. exact file name (case-sensitive: ``Makefile``, ``CMakeLists.txt``, lock files ...);
2. file-name glob (``Dockerfile.*``, ``requirements*.txt``, ``LICENSE-*`` ...);
3. extension, longest compound suffix first (``.blade.php`` before ``.php``,
   ``.d.ts`` before ``.ts``); a few upper-case extensions are case-sensitive
   (``.C``/``.H`` are C++), all others are compared in lower case;
4. a NUL byte in the first 8 KiB makes any file not matched by the steps above binary;
5. the shebang interpreter (``#!/usr/bin/env -S node --flag`` gives ``node``).

Ambiguity rule: when several languages claim the same extension, the winner is the
language named for it in :data:`AMBIGUOUS_EXTENSIONS`. Building the index fails at import
time if a shared extension, file name, glob or interpreter has no such entry, so the
result never depends on table order or on file contents, and two runs never differ.
"""

from __future__ import annotations

import enum
import fnmatch
import re
from dataclasses import dataclass, field

__all__ = [
    "AMBIGUOUS_EXTENSIONS",
    "GUESSED_EXTENSIONS",
    "BINARY_SNIFF_BYTES",
    "BlockComment",
    "Detection",
    "LANGUAGES",
    "Language",
    "Prelude",
    "SkipReason",
    "classify",
    "detect_language",
    "language_by_name",
    "shebang_interpreter",
]

#: How much of a file is inspected for NUL bytes (the same heuristic git uses).
BINARY_SNIFF_BYTES = 8192


class Prelude(enum.Enum):
    """Kinds of lines that may legitimately stand before the licence header.

    A header placed before any of these would break the file (a shebang must be the
    first two bytes, PEP 263 needs line 1 or 2, an XML declaration must come first,
    Docker parser directives stop being read after the first comment, ...).
    """

    SHEBANG = "shebang"  # "#!..." on the first line ("#![" is a Rust attribute, not one)
    CODING = "coding"  # PEP 263 encoding declaration on line 1 or 2
    RUBY_MAGIC = "ruby-magic"  # "# frozen_string_literal: true", "# encoding: utf-8"
    XML_DECLARATION = "xml-declaration"  # "<?xml ...?>"
    DOCTYPE = "doctype"  # "<!DOCTYPE ...>"
    PHP_OPEN = "php-open"  # "<?php"
    GO_BUILD = "go-build"  # "//go:build" / "// +build" lines and the blank line after them
    FRONT_MATTER = "front-matter"  # "---" ... "---" (YAML) or "+++" ... "+++" (TOML)
    YAML_DOCUMENT = "yaml-document"  # "%YAML" / "%TAG" directives and the "---" marker
    DOCKER_DIRECTIVE = "docker-directive"  # "# syntax=...", "# escape=...", "# check=..."
    ECHO_OFF = "echo-off"  # "@echo off" in batch files
    DIAGRAM_START = "diagram-start"  # PlantUML's "@startuml" (and @startmindmap ...)
    INCLUDE_GUARD = "include-guard"  # "#ifndef X" + "#define X", or "#pragma once", in C-family headers


class SkipReason(str, enum.Enum):
    """Why a file is not checked; the values are shown to users."""

    BINARY = "binary"
    NO_COMMENT_SYNTAX = "no comment syntax"
    GENERATED = "generated"
    PROSE = "prose"
    UNKNOWN_LANGUAGE = "unknown comment syntax"
    UNDECODABLE = "undecodable"
    EMPTY = "empty"
    NOT_A_FILE = "not a regular file"


@dataclass(frozen=True)
class BlockComment:
    """A block comment: ``start`` ... ``end``; ``prefix`` decorates inner lines when rendering."""

    start: str
    end: str
    prefix: str = ""


@dataclass(frozen=True, repr=False)
class Language:
    """One comment syntax and the files that use it.

    ``line`` lists line-comment prefixes; the first one is used when rendering a header,
    all are recognised. An empty-string prefix marks plain text, where the header is a
    run of bare lines ended by a blank line. ``extensions`` carry their leading dot and
    are matched in lower case; ``case_sensitive_extensions`` are matched exactly and
    checked first.
    """

    name: str
    line: tuple[str, ...] = ()
    block: BlockComment | None = None
    filenames: tuple[str, ...] = ()
    filename_globs: tuple[str, ...] = ()
    extensions: tuple[str, ...] = ()
    case_sensitive_extensions: tuple[str, ...] = ()
    interpreters: tuple[str, ...] = ()
    preludes: frozenset[Prelude] = field(default_factory=frozenset)
    is_prose: bool = False
    #: For template languages: the block comment whose end also swallows the line break after
    #: it (``{# ... -#}``), so a header renders nothing; "" when the language has none (the fix
    #: then refuses to insert a header, since any comment line would add a blank line).
    template_trim: BlockComment | None = None
    is_template: bool = False
    #: A comment whose lines continue while they are indented (reStructuredText ``..``).
    indented_continuation: bool = False

    def __post_init__(self) -> None:
        if not self.line and self.block is None:
            raise ValueError(f"language {self.name!r} has no comment syntax")

    def __repr__(self) -> str:
        return f"Language({self.name!r})"

    @property
    def is_bare(self) -> bool:
        """True for plain text: the header is bare lines, not a comment."""
        return "" in self.line


@dataclass(frozen=True)
class Detection:
    """The outcome of :func:`classify`: a language, or a skip reason with a detail."""

    language: Language | None
    reason: SkipReason | None = None
    detail: str = ""
    #: Set when the language was only guessed from an extension other languages with another
    #: comment syntax use too: every candidate, the guess first. `--fix` leaves such files alone.
    alternatives: tuple[Language, ...] = ()
    #: The extension the guess came from (e.g. ".cmd").
    guessed_from: str = ""

    @property
    def guessed(self) -> bool:
        return bool(self.alternatives)


# --- the table ---------------------------------------------------------------------

C_BLOCK = BlockComment("/*", " */", " * ")
ML_BLOCK = BlockComment("(*", " *)", " * ")
HTML_BLOCK = BlockComment("<!--", "-->")
HASKELL_BLOCK = BlockComment("{-", "-}", "  ")
LISP_BLOCK = BlockComment("#|", "|#", "  ")

_SB = frozenset({Prelude.SHEBANG})
_GUARD = frozenset({Prelude.INCLUDE_GUARD})


def _lang(
    name: str,
    line: tuple[str, ...] | str = (),
    block: BlockComment | None = None,
    *,
    ext: str = "",
    names: str = "",
    globs: str = "",
    interp: str = "",
    cs_ext: str = "",
    pre: frozenset[Prelude] | set[Prelude] = frozenset(),
    prose: bool = False,
    trim: BlockComment | None = None,
    template: bool = False,
    indented: bool = False,
) -> Language:
    """Compact constructor: space-separated strings keep the table readable."""
    if isinstance(line, str):
        line = (line,)
    return Language(
        name=name,
        line=line,
        block=block,
        filenames=tuple(names.split()),
        filename_globs=tuple(globs.split()),
        extensions=tuple(e.lower() for e in ext.split()),
        case_sensitive_extensions=tuple(cs_ext.split()),
        interpreters=tuple(interp.split()),
        preludes=frozenset(pre) | (_SB if interp else frozenset()),
        is_prose=prose,
        template_trim=trim,
        is_template=template or trim is not None,
        indented_continuation=indented,
    )


LANGUAGES: tuple[Language, ...] = (
    _lang("Ada", "--", ext=".adb .ads .ada"),
    _lang("AppleScript", ("--", "#"), ML_BLOCK, ext=".applescript", interp="osascript"),
    _lang("AsciiDoc", "//", BlockComment("////", "////"), ext=".adoc .asciidoc", prose=True),
    _lang("Assembly (GNU)", (), C_BLOCK, ext=".s .sx"),
    _lang("Assembly (NASM)", ";", ext=".asm .nasm"),
    _lang("Awk", "#", ext=".awk", interp="awk gawk mawk nawk"),
    _lang(
        "Batchfile",
        ("@REM", "@rem", "REM", "rem", "Rem", "::"),
        ext=".bat .cmd",
        pre={Prelude.ECHO_OFF},
    ),
    _lang("BibTeX", "%", ext=".bib"),
    _lang("Bicep", "//", C_BLOCK, ext=".bicep"),
    _lang("Blade", (), BlockComment("{{--", "--}}"), ext=".blade.php", template=True),
    _lang("C", "//", C_BLOCK, ext=".c .h", pre=_GUARD),
    _lang("C#", "//", C_BLOCK, ext=".cs .csx", interp="dotnet-script"),
    _lang(
        "C++",
        "//",
        C_BLOCK,
        ext=".cc .cpp .cxx .c++ .cp .hh .hpp .hxx .h++ .ipp .tpp .txx .inl .ixx .cppm",
        cs_ext=".C .H",
        pre=_GUARD,
    ),
    _lang("Cap'n Proto", "#", ext=".capnp"),
    _lang("Clojure", (";;", ";"), ext=".clj .cljs .cljc .edn", interp="bb clojure clj"),
    _lang("CMake", "#", BlockComment("#[[", "]]"), names="CMakeLists.txt", ext=".cmake"),
    _lang("CoffeeScript", "#", BlockComment("###", "###"), ext=".coffee .cson", interp="coffee"),
    _lang(
        "Common Lisp", (";;", ";"), LISP_BLOCK, ext=".lisp .lsp .cl .asd", interp="sbcl clisp ecl"
    ),
    _lang("Crystal", "#", ext=".cr", interp="crystal"),
    _lang("CSS", (), C_BLOCK, ext=".css .pcss .postcss"),
    _lang("CUDA", "//", C_BLOCK, ext=".cu .cuh", pre=_GUARD),
    _lang("CUE", "//", ext=".cue"),
    _lang("D", "//", C_BLOCK, ext=".d .di", interp="rdmd"),
    _lang("Dart", "//", C_BLOCK, ext=".dart", interp="dart"),
    _lang("Devicetree", "//", C_BLOCK, ext=".dts .dtsi .dtso"),
    _lang("Dhall", "--", HASKELL_BLOCK, ext=".dhall"),
    _lang(
        "Dockerfile",
        "#",
        names="Dockerfile dockerfile Containerfile",
        globs="Dockerfile.* Dockerfile-* *.Dockerfile Containerfile.* Containerfile-*",
        ext=".dockerfile .containerfile",
        pre={Prelude.DOCKER_DIRECTIVE},
    ),
    _lang("Dotenv", "#", names=".env", globs=".env.*", ext=".env"),
    _lang("EditorConfig", ("#", ";"), names=".editorconfig"),
    _lang("EJS", (), BlockComment("<%#", "%>"), ext=".ejs", trim=BlockComment("<%#", "-%>")),
    _lang("Elixir", "#", ext=".ex .exs", interp="elixir"),
    _lang("Elm", "--", HASKELL_BLOCK, ext=".elm"),
    _lang("Emacs Lisp", (";;;", ";;", ";"), names=".emacs _emacs Cask", ext=".el"),
    _lang("ERB", (), BlockComment("<%#", "%>"), ext=".erb .rhtml", template=True),
    _lang(
        "Erlang",
        ("%%", "%"),
        names="rebar.config sys.config",
        ext=".erl .hrl .escript .app.src",
        interp="escript",
    ),
    _lang("F#", "//", ML_BLOCK, ext=".fs .fsi .fsx"),
    _lang("Fennel", (";;", ";"), ext=".fnl", interp="fennel"),
    _lang("Fish", "#", ext=".fish", interp="fish"),
    _lang("FlatBuffers", "//", C_BLOCK, ext=".fbs"),
    _lang("Fortran", "!", ext=".f90 .f95 .f03 .f08 .f .for .ftn .fpp"),
    _lang("GDScript", "#", ext=".gd"),
    _lang("Gettext Catalog", "#", ext=".po .pot"),
    _lang("Graphviz", ("//", "#"), C_BLOCK, ext=".dot .gv"),
    _lang("Git Config", ("#", ";"), names=".gitconfig .gitmodules"),
    _lang("Gleam", "//", ext=".gleam"),
    _lang("GLSL", "//", C_BLOCK, ext=".glsl .vert .frag .geom .comp .tesc .tese"),
    _lang("Go", "//", C_BLOCK, ext=".go", pre={Prelude.GO_BUILD}),
    _lang("Go Module", "//", names="go.mod go.work"),
    _lang("Go Template", (), BlockComment("{{/*", "*/}}"), ext=".tmpl .gotmpl .gohtml",
          trim=BlockComment("{{/*", "*/ -}}")),
    _lang("GraphQL", "#", ext=".graphql .gql .graphqls"),
    _lang(
        "Groovy",
        "//",
        C_BLOCK,
        names="Jenkinsfile",
        globs="Jenkinsfile.* *.Jenkinsfile",
        ext=".groovy .gvy .gy .gsh .gradle",
        interp="groovy",
    ),
    _lang("Haml", "-#", ext=".haml"),
    _lang("Handlebars", (), BlockComment("{{!--", "--}}"), ext=".hbs .handlebars",
          trim=BlockComment("{{!--", "--~}}")),
    _lang(
        "Haskell",
        "--",
        HASKELL_BLOCK,
        ext=".hs .hs-boot .hsc",
        interp="runhaskell runghc stack",
    ),
    _lang("HCL", ("#", "//"), C_BLOCK, ext=".tf .tfvars .hcl .nomad"),
    _lang("HLSL", "//", C_BLOCK, ext=".hlsl .hlsli .fx .fxh", pre=_GUARD),
    _lang(
        "HTML",
        (),
        HTML_BLOCK,
        ext=".html .htm .xhtml .shtml",
        pre={Prelude.XML_DECLARATION, Prelude.DOCTYPE, Prelude.FRONT_MATTER},
    ),
    _lang("Idris", "--", HASKELL_BLOCK, ext=".idr"),
    _lang(
        "Ignore List",
        "#",
        names=(
            ".gitignore .gitattributes .dockerignore .npmignore .eslintignore "
            ".prettierignore .stylelintignore .helmignore .gcloudignore .hgignore "
            ".vscodeignore .bazelignore CODEOWNERS .mailmap"
        ),
    ),
    _lang(
        "INI",
        (";", "#"),
        names=".flake8 .pylintrc .coveragerc .pypirc .npmrc",
        ext=".ini .cfg",
    ),
    _lang("Janet", "#", ext=".janet", interp="janet"),
    _lang("Java", "//", C_BLOCK, ext=".java", interp="java"),
    _lang("JavaScript", "//", C_BLOCK, ext=".js .mjs .cjs .jsx .es6", interp="node nodejs bun zx"),
    _lang("Jinja", (), BlockComment("{#", "#}"), ext=".j2 .jinja .jinja2 .njk", trim=BlockComment("{#", "-#}"),
          pre={Prelude.DOCTYPE}),
    _lang("JSON with Comments", "//", C_BLOCK, ext=".jsonc .json5"),
    _lang("Jsonnet", ("//", "#"), C_BLOCK, ext=".jsonnet .libsonnet"),
    _lang("JSP", (), BlockComment("<%--", "--%>"), ext=".jsp .jspf .tag", template=True),
    _lang("Julia", "#", BlockComment("#=", "=#"), ext=".jl", interp="julia"),
    _lang("Just", "#", names="justfile Justfile .justfile", ext=".just", interp="just"),
    _lang("Kconfig", "#", names="Kconfig", globs="Kconfig.*"),
    _lang("Kotlin", "//", C_BLOCK, ext=".kt .kts .ktm .gradle.kts", interp="kotlin kscript"),
    _lang("Lean", "--", BlockComment("/-", "-/", "  "), ext=".lean"),
    _lang("Less", "//", C_BLOCK, ext=".less"),
    _lang("Lex", (), C_BLOCK, ext=".l .lex .flex"),
    _lang("Linker Script", (), C_BLOCK, ext=".ld .lds"),
    _lang(
        "Liquid",
        (),
        BlockComment("{% comment %}", "{% endcomment %}"),
        ext=".liquid",
        pre={Prelude.FRONT_MATTER},
        trim=BlockComment("{% comment %}", "{% endcomment -%}"),
    ),
    _lang("LLVM IR", ";", ext=".ll"),
    _lang("Lua", "--", BlockComment("--[[", "]]"), ext=".lua .rockspec", interp="lua luajit"),
    _lang(
        "Makefile",
        "#",
        names="Makefile makefile GNUmakefile",
        globs="Makefile.* makefile.*",
        ext=".mk .mak .make .am",
        interp="make",
    ),
    _lang(
        "Markdown",
        (),
        HTML_BLOCK,
        ext=".md .markdown .mdown .mkd .mkdn .mdwn",
        pre={Prelude.FRONT_MATTER},
        prose=True,
    ),
    _lang("MATLAB", "%", BlockComment("%{", "%}"), ext=".m", interp="octave"),
    _lang("MDX", (), BlockComment("{/*", "*/}"), ext=".mdx", pre={Prelude.FRONT_MATTER}, prose=True),
    _lang("M4", ("dnl", "#"), names="configure.ac configure.in aclocal.m4", ext=".m4 .ac"),
    _lang("Meson", "#", names="meson.build meson_options.txt meson.options"),
    _lang("Metal", "//", C_BLOCK, ext=".metal"),
    _lang("Mojo", "#", ext=".mojo"),
    # Mustache removes a comment standing on its own lines, line breaks included.
    _lang("Mustache", (), BlockComment("{{!", "}}"), ext=".mustache", trim=BlockComment("{{!", "}}")),
    _lang("Nim", "#", BlockComment("#[", "]#"), ext=".nim .nims .nimble", interp="nim"),
    _lang("Ninja", "#", ext=".ninja"),
    _lang("Nix", "#", C_BLOCK, ext=".nix"),
    _lang("Objective-C", "//", C_BLOCK, ext=".m .h", pre=_GUARD),
    _lang("Objective-C++", "//", C_BLOCK, ext=".mm", pre=_GUARD),
    _lang("OCaml", (), ML_BLOCK, ext=".ml .mli .mll .mly", interp="ocaml"),
    _lang("Odin", "//", C_BLOCK, ext=".odin"),
    _lang("OpenCL", "//", C_BLOCK, ext=".cl .opencl"),
    _lang("Org", "#", ext=".org", prose=True),
    _lang("Pascal", "//", BlockComment("{", "}", "  "), ext=".pas .pp .dpr .lpr .dpk"),
    _lang("Perl", "#", names="cpanfile", ext=".pl .pm .t .psgi", interp="perl"),
    _lang(
        "PHP",
        ("//", "#"),
        C_BLOCK,
        ext=".php .phtml .php3 .php4 .php5 .php7 .php8",
        interp="php",
        pre={Prelude.PHP_OPEN},
    ),
    _lang("pkg-config", "#", ext=".pc"),
    _lang("PlantUML", "'", BlockComment("/'", "'/"), ext=".puml .plantuml .pu .iuml",
          pre={Prelude.DIAGRAM_START}),
    _lang("Pip Requirements", "#", globs="requirements*.txt constraints*.txt", ext=".pip"),
    _lang("Plain Text", "", ext=".txt .text", prose=True),
    _lang("PowerShell", "#", BlockComment("<#", "#>", "  "), ext=".ps1 .psm1 .psd1", interp="pwsh powershell"),
    _lang("Prolog", "%", C_BLOCK, ext=".pl .prolog", interp="swipl"),
    _lang("Properties", ("#", "!"), ext=".properties"),
    _lang("Protocol Buffers", "//", C_BLOCK, ext=".proto"),
    _lang("Protocol Buffers Text", "#", ext=".textproto .pbtxt .txtpb"),
    _lang("Pug", ("//-", "//"), ext=".pug .jade"),
    _lang("Puppet", "#", C_BLOCK, ext=".pp"),
    _lang(
        "Python",
        "#",
        names="SConstruct SConscript .pythonrc",
        ext=".py .pyi .pyw",
        interp="python pypy uv",
        pre={Prelude.CODING},
    ),
    _lang("Cython", "#", ext=".pyx .pxd .pxi", pre={Prelude.CODING}),
    _lang("QMake", "#", ext=".pro .pri .prf"),
    _lang("R", "#", names=".Rprofile", ext=".r", interp="rscript"),
    _lang("Racket", (";;", ";"), LISP_BLOCK, ext=".rkt .rktl .scrbl", interp="racket"),
    _lang("Raku", "#", ext=".raku .rakumod .rakutest .p6 .pm6 .pl6 .t", interp="raku perl6 rakudo"),
    _lang("Razor", (), BlockComment("@*", "*@"), ext=".cshtml .razor", template=True),
    _lang("ReasonML", "//", C_BLOCK, ext=".re .rei"),
    _lang("Rego", "#", ext=".rego"),
    _lang("Windows Resource", "//", C_BLOCK, ext=".rc", pre=_GUARD),
    _lang("ReScript", "//", C_BLOCK, ext=".res .resi"),
    _lang("reStructuredText", "..", ext=".rst .rest", prose=True, indented=True),
    _lang(
        "Ruby",
        "#",
        BlockComment("=begin", "=end"),
        names=(
            "Gemfile Rakefile Podfile Vagrantfile Guardfile Brewfile Fastfile Appfile "
            "Dangerfile Capfile Berksfile Puppetfile Steepfile .irbrc .pryrc"
        ),
        ext=".rb .rbw .rake .gemspec .ru .podspec .jbuilder .thor",
        interp="ruby jruby truffleruby",
        pre={Prelude.RUBY_MAGIC},
    ),
    _lang("Rust", "//", C_BLOCK, ext=".rs", interp="rust-script cargo"),
    _lang("Sass", "//", C_BLOCK, ext=".sass"),
    _lang("Scala", "//", C_BLOCK, ext=".scala .sc .sbt .mill", interp="scala scala-cli amm"),
    _lang(
        "Scheme",
        (";;", ";"),
        LISP_BLOCK,
        ext=".scm .ss .sld .sls .sps",
        interp="guile csi gosh chez scheme",
    ),
    _lang("SCSS", "//", C_BLOCK, ext=".scss"),
    _lang(
        "Shell",
        "#",
        names=(
            ".bashrc .bash_profile .bash_login .bash_logout .bash_aliases .profile "
            ".kshrc .mkshrc PKGBUILD APKBUILD"
        ),
        ext=".sh .bash .ksh .mksh .bats .command",
        interp="sh bash dash ash ksh mksh bats",
    ),
    _lang("Slim", "/", ext=".slim"),
    _lang("Smithy", "//", ext=".smithy"),
    _lang("Solidity", "//", C_BLOCK, ext=".sol"),
    _lang("SQL", "--", C_BLOCK, ext=".sql .ddl .pgsql .plsql .pks .pkb"),
    _lang("Standard ML", (), ML_BLOCK, ext=".sml .fun"),
    _lang(
        "Starlark",
        "#",
        names="BUILD WORKSPACE MODULE.bazel Tiltfile BUCK",
        ext=".bzl .star .bazel",
    ),
    _lang("Stylus", "//", C_BLOCK, ext=".styl"),
    _lang("Svelte", (), HTML_BLOCK, ext=".svelte"),
    _lang("Swift", "//", C_BLOCK, ext=".swift", interp="swift"),
    _lang("SystemVerilog", "//", C_BLOCK, ext=".sv .svh"),
    _lang("Tcl", "#", ext=".tcl .tk .itcl", interp="tclsh wish expect"),
    _lang("TeX", "%", ext=".tex .sty .cls .ltx .dtx .ins"),
    _lang("Thrift", ("//", "#"), C_BLOCK, ext=".thrift"),
    _lang("TOML", "#", names="Pipfile", ext=".toml"),
    _lang("Twig", (), BlockComment("{#", "#}"), ext=".twig", trim=BlockComment("{#", "-#}"),
          pre={Prelude.DOCTYPE}),
    _lang("Typst", "//", C_BLOCK, ext=".typ"),
    _lang(
        "TypeScript",
        "//",
        C_BLOCK,
        ext=".ts .mts .cts .tsx .d.ts",
        interp="deno ts-node tsx",
    ),
    _lang("Unix Config", "#", names=".bazelrc .yarnrc .tool-versions .browserslistrc", ext=".conf"),
    _lang("Vala", "//", C_BLOCK, ext=".vala .vapi"),
    _lang("Verilog", "//", C_BLOCK, ext=".v .vh"),
    _lang("VHDL", "--", ext=".vhd .vhdl"),
    _lang("Vim Script", '"', names=".vimrc _vimrc .gvimrc .exrc", ext=".vim"),
    _lang("Visual Basic", "'", ext=".vb .bas .vbs .vba .cls"),
    _lang("Vue", (), HTML_BLOCK, ext=".vue"),
    _lang("WGSL", "//", C_BLOCK, ext=".wgsl"),
    _lang(
        "Wolfram Language", (), ML_BLOCK, ext=".wl .wls", interp="wolframscript"
    ),
    _lang(
        "XML",
        (),
        HTML_BLOCK,
        ext=(
            ".xml .xsd .xsl .xslt .plist .csproj .fsproj .vbproj .vcxproj .props .targets "
            ".nuspec .resx .xaml .wsdl .xlf .xliff .iml .rng .pom .jelly .xib .storyboard"
        ),
        pre={Prelude.XML_DECLARATION, Prelude.DOCTYPE},
    ),
    _lang("Yacc", (), C_BLOCK, ext=".y .yy .ypp"),
    _lang(
        "YAML",
        "#",
        names=".clang-format .clang-tidy .yamllint",
        ext=".yml .yaml .cff",
        pre={Prelude.YAML_DOCUMENT},
    ),
    _lang("Zig", "//", ext=".zig .zon"),
    _lang(
        "Zsh",
        "#",
        names=".zshrc .zshenv .zprofile .zlogin .zlogout",
        ext=".zsh",
        interp="zsh",
    ),
)

#: Extensions claimed by several languages, and the one that wins. The choice is the
#: language that dominates that extension in open-source repositories; both sides of
#: each pair share their usual comment token wherever possible, so a wrong guess still
#: yields a working header in most files.
AMBIGUOUS_EXTENSIONS: dict[str, str] = {
    ".h": "C",  # C, C++ and Objective-C headers: all accept "//" and "/* */"
    ".m": "Objective-C",  # vs MATLAB
    ".pl": "Perl",  # vs Prolog
    ".t": "Perl",  # Perl tests vs Raku tests ("#" either way)
    ".pp": "Puppet",  # vs Pascal
    ".cl": "Common Lisp",  # vs OpenCL
    ".cls": "TeX",  # LaTeX classes vs Visual Basic class modules
}

#: Languages that no name selects: only candidates for :data:`GUESSED_EXTENSIONS`.
CANDIDATE_LANGUAGES: tuple[Language, ...] = (
    _lang("Hash comments", "#"),
    _lang("IBM i CL", (), C_BLOCK),  # IBM i control language (.cmd)
)

#: Extensions whose language is only a guess, because languages with another comment syntax
#: use them too (an IBM i `.cmd` is CL with `/* */`, not a Windows batch file). The check
#: accepts a header written in any candidate's syntax; `--fix` never edits such a file.
GUESSED_EXTENSIONS: dict[str, tuple[str, ...]] = {
    ".cmd": ("Batchfile", "IBM i CL"),
    ".fpp": ("Fortran", "Hash comments"),
    ".m": ("Objective-C", "MATLAB"),
    ".pl": ("Perl", "Prolog"),
    ".pp": ("Puppet", "Pascal"),
    ".cl": ("Common Lisp", "OpenCL"),
    ".cls": ("TeX", "Visual Basic"),
}

# --- files that cannot hold a header -------------------------------------------------

_NO_COMMENT_EXTENSIONS: dict[str, str] = {}


def _no_comment(detail: str, exts: str) -> None:
    for ext in exts.split():
        _NO_COMMENT_EXTENSIONS[ext.lower()] = detail


_no_comment("JSON", ".json .geojson .topojson .jsonl .ndjson .ipynb .webmanifest .har .avsc .map")
_no_comment("lock file", ".lock .lockb")
_no_comment(
    "image",
    ".png .jpg .jpeg .jpe .gif .bmp .ico .icns .cur .webp .tif .tiff .psd .xcf .avif .heic "
    ".heif .jxl .jp2 .tga .exr .hdr .qoi .svg .svgz .ai .eps .raw .dng .cr2 .nef",
)
_no_comment(
    "archive",
    ".zip .tar .gz .tgz .bz2 .tbz .tbz2 .xz .txz .zst .lz .lz4 .lzma .7z .rar .jar .war .ear "
    ".aar .apk .ipa .whl .egg .nupkg .deb .rpm .dmg .iso .cab .msi .gem .crate "
    ".tar.gz .tar.bz2 .tar.xz .tar.zst",
)
_no_comment("font", ".ttf .otf .woff .woff2 .eot .ttc .pfb .pfm .fon")
_no_comment(
    "binary",
    ".pdf .exe .dll .so .dylib .a .lib .o .obj .class .pyc .pyo .pyd .wasm .bin .db .sqlite "
    ".sqlite3 .mp3 .mp4 .m4a .m4v .wav .ogg .oga .opus .flac .aac .mov .avi .mkv .webm .wmv "
    ".flv .mpg .mpeg .doc .docx .xls .xlsx .ppt .pptx .odt .ods .odp .jks .keystore .p12 "
    ".pfx .der .pb .onnx .pt .pth .ckpt .safetensors .h5 .hdf5 .npy .npz .pkl .pickle .parquet "
    ".avro .dat",
)
_no_comment("data", ".csv .tsv .psv .patch .diff .pem .crt .cer .csr .key .pub .asc .gpg .snap")

_NO_COMMENT_FILENAMES: dict[str, str] = {}
for _name in (
    "package-lock.json npm-shrinkwrap.json yarn.lock pnpm-lock.yaml bun.lock bun.lockb "
    "Cargo.lock poetry.lock Pipfile.lock pdm.lock uv.lock pixi.lock go.sum go.work.sum "
    "composer.lock Gemfile.lock gems.locked Podfile.lock Package.resolved pubspec.lock "
    "mix.lock flake.lock packages.lock.json paket.lock gradle.lockfile .terraform.lock.hcl "
    "conan.lock deno.lock MODULE.bazel.lock renv.lock shard.lock rebar.lock "
    "Cartfile.resolved stack.yaml.lock"
).split():
    _NO_COMMENT_FILENAMES[_name] = "lock file"
for _name in "LICENSE LICENCE COPYING COPYRIGHT NOTICE UNLICENSE".split():
    _NO_COMMENT_FILENAMES[_name] = "licence text"

_NO_COMMENT_GLOBS: dict[str, str] = {
    g: "licence text"
    for g in "LICENSE.* LICENSE-* LICENCE.* LICENCE-* COPYING.* COPYING-* NOTICE.*".split()
}

# --- index ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _NoComment:
    detail: str


_Target = Language | _NoComment


@dataclass
class _Index:
    filenames: dict[str, _Target]
    globs: list[tuple[str, _Target]]
    #: All globs in one pattern, group ``g<i>`` for ``globs[i]``: one match per file name.
    glob_regex: re.Pattern[str]
    extensions: dict[str, _Target]
    cs_extensions: dict[str, _Target]
    interpreters: dict[str, Language]
    by_name: dict[str, Language]
    max_ext_dots: int


def _build_index() -> _Index:
    """Build lookup maps, refusing any overlap that the ambiguity table does not settle."""
    by_name: dict[str, Language] = {}
    for lang in LANGUAGES:
        if lang.name in by_name:
            raise ValueError(f"duplicate language name {lang.name!r}")
        by_name[lang.name] = lang
    for lang in CANDIDATE_LANGUAGES:
        by_name.setdefault(lang.name, lang)

    def put(table: dict, key: str, value: _Target, what: str) -> None:
        if key not in table:
            table[key] = value
            return
        winner = AMBIGUOUS_EXTENSIONS.get(key) if what == "extension" else None
        if winner is None:
            old = table[key]
            raise ValueError(f"{what} {key!r} claimed twice ({old!r} and {value!r})")
        table[key] = by_name[winner]

    filenames: dict[str, _Target] = {}
    extensions: dict[str, _Target] = {}
    cs_extensions: dict[str, _Target] = {}
    interpreters: dict[str, Language] = {}
    globs: dict[str, _Target] = {}
    for name, detail in _NO_COMMENT_FILENAMES.items():
        put(filenames, name, _NoComment(detail), "file name")
    for glob, detail in _NO_COMMENT_GLOBS.items():
        put(globs, glob, _NoComment(detail), "glob")
    for ext, detail in _NO_COMMENT_EXTENSIONS.items():
        put(extensions, ext, _NoComment(detail), "extension")
    for lang in LANGUAGES:
        for name in lang.filenames:
            put(filenames, name, lang, "file name")
        for glob in lang.filename_globs:
            put(globs, glob, lang, "glob")
        for ext in lang.extensions:
            put(extensions, ext, lang, "extension")
        for ext in lang.case_sensitive_extensions:
            put(cs_extensions, ext, lang, "case-sensitive extension")
        for interp in lang.interpreters:
            put(interpreters, interp, lang, "interpreter")  # type: ignore[arg-type]
    for ext, names in GUESSED_EXTENSIONS.items():
        if any(n not in by_name for n in names) or ext not in extensions or extensions[ext] != by_name[names[0]]:
            raise ValueError(f"GUESSED_EXTENSIONS[{ext!r}] is stale")
    for ext, winner in AMBIGUOUS_EXTENSIONS.items():
        claimants = [lang.name for lang in LANGUAGES if ext in lang.extensions]
        if len(claimants) < 2 or winner not in claimants:
            raise ValueError(f"AMBIGUOUS_EXTENSIONS[{ext!r}] is stale: {claimants}")
    max_dots = max(e.count(".") for e in [*extensions, *cs_extensions])
    return _Index(
        filenames=filenames,
        globs=list(globs.items()),
        glob_regex=re.compile("|".join(f"(?P<g{i}>{fnmatch.translate(g)})" for i, g in enumerate(globs))),
        extensions=extensions,
        cs_extensions=cs_extensions,
        interpreters=interpreters,
        by_name=by_name,
        max_ext_dots=max_dots,
    )


_INDEX = _build_index()


def language_by_name(name: str) -> Language | None:
    """The table entry called ``name`` (exact), e.g. for a report or a test."""
    return _INDEX.by_name.get(name)


# --- detection -----------------------------------------------------------------------

_VERSION_SUFFIX = re.compile(r"[-_.]?\d+(?:\.\d+)*$")
_ENV_OPTS_WITH_ARG = {"-u", "--unset", "-C", "--chdir", "-P"}


def shebang_interpreter(first_bytes: bytes) -> str | None:
    """The interpreter a ``#!`` line names, normalised (``python3.11`` -> ``python``).

    Handles ``/usr/bin/env`` with options and ``-S`` split strings, since
    ``#!/usr/bin/env -S deno run --allow-net`` must still mean deno.
    """
    data = first_bytes[3:] if first_bytes.startswith(b"\xef\xbb\xbf") else first_bytes
    if not data.startswith(b"#!") or data.startswith(b"#!["):
        return None
    line = data[2:].split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    words = line.split()
    if not words:
        return None
    prog = words[0].rsplit("/", 1)[-1]
    args = words[1:]
    if prog == "env":
        prog = ""
        i = 0
        while i < len(args):
            arg = args[i]
            if arg in _ENV_OPTS_WITH_ARG:
                i += 2
                continue
            if arg.startswith("-S") and len(arg) > 2:  # "-Snode": split string glued on
                prog = arg[2:]
                break
            if arg.startswith("-") or ("=" in arg and not arg.startswith("=")):
                i += 1
                continue
            prog = arg
            break
        prog = prog.rsplit("/", 1)[-1]
    if not prog:
        return None
    prog = prog.lower()
    if prog in _INDEX.interpreters:
        return prog
    stripped = _VERSION_SUFFIX.sub("", prog)
    return stripped or prog


def _by_extension(basename: str) -> tuple[_Target | None, str]:
    """Longest matching suffix wins: ``x.blade.php`` is Blade, ``x.tar.gz`` an archive."""
    parts = basename.split(".")
    # A leading dot names a dotfile, not an extension (".bashrc" has none).
    first = 2 if basename.startswith(".") else 1
    start = max(first, len(parts) - _INDEX.max_ext_dots)
    for i in range(start, len(parts)):
        suffix = "." + ".".join(parts[i:])
        hit = _INDEX.cs_extensions.get(suffix) or _INDEX.extensions.get(suffix.lower())
        if hit is not None:
            return hit, suffix.lower()
    return None, ""


def _by_name(basename: str) -> tuple[_Target | None, str]:
    hit = _INDEX.filenames.get(basename)
    if hit is not None:
        return hit, ""
    matched = _INDEX.glob_regex.match(basename)
    if matched is not None and matched.lastgroup is not None:
        return _INDEX.globs[int(matched.lastgroup[1:])][1], ""
    target, ext = _by_extension(basename)
    if target is None and basename.endswith(".in") and len(basename) > 3:
        # Autoconf/CMake input templates (`libcurl.pc.in`, `config.h.in`) keep their syntax.
        return _by_name(basename[:-3])
    return target, ext


def classify(path: str, first_bytes: bytes = b"") -> Detection:
    """Decide how ``path`` can carry a header; see the module docstring for the order."""
    basename = path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    target, ext = _by_name(basename)
    if isinstance(target, _NoComment):
        return Detection(None, SkipReason.NO_COMMENT_SYNTAX, target.detail)
    if b"\x00" in first_bytes[:BINARY_SNIFF_BYTES]:
        if target is not None:  # named like text, but is not: say so rather than pass it
            return Detection(None, SkipReason.UNDECODABLE, f"{target.name} file with NUL bytes")
        return Detection(None, SkipReason.BINARY, "NUL byte in the first 8 KiB")
    if target is not None:
        names = GUESSED_EXTENSIONS.get(ext)
        if names:
            interp = shebang_interpreter(first_bytes)
            confirmed = _INDEX.interpreters.get(interp) if interp else None
            if confirmed is not None and confirmed.name in names:
                return Detection(confirmed)  # the shebang settles it
            return Detection(target, alternatives=tuple(_INDEX.by_name[n] for n in names), guessed_from=ext)
        return Detection(target)
    interp = shebang_interpreter(first_bytes)
    if interp is not None:
        lang = _INDEX.interpreters.get(interp)
        if lang is not None:
            return Detection(lang)
        return Detection(None, SkipReason.UNKNOWN_LANGUAGE, f"interpreter {interp!r}")
    return Detection(None, SkipReason.UNKNOWN_LANGUAGE, "")


def detect_language(path: str, first_bytes: bytes = b"") -> Language | None:
    """The language of ``path``, or None; :func:`classify` says why it is None."""
    return classify(path, first_bytes).language
