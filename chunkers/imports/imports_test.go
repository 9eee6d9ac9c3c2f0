package imports

import (
	"fmt"
	"strings"
	"testing"
)

func show(list []Import) string {
	var b strings.Builder
	for _, im := range list {
		fmt.Fprintf(&b, "%d %s|%s|%s", im.Line, im.Module, im.Name, im.Local)
		if im.EndLine != im.Line {
			fmt.Fprintf(&b, " -%d", im.EndLine)
		}
		if im.Export {
			b.WriteString(" export")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func TestParse(t *testing.T) {
	cases := []struct {
		name, lang, src, want string
	}{
		{"go single and grouped", "go", `package p

import "fmt"
import str "strings"

import (
	"net/http" // a comment
	_ "embed"
	. "math"
	pgx "github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"gopkg.in/yaml.v3"
)

func f() { _ = "import \"x\"" }
`, `3 fmt||fmt
4 strings||str
7 net/http||http -13
10 github.com/jackc/pgx/v5||pgx -13
11 github.com/jackc/pgx/v5/pgconn||pgconn -13
12 gopkg.in/yaml.v3||yaml -13
`},
		{"go version path unaliased", "go", "import \"github.com/jackc/pgx/v5\"\n", "1 github.com/jackc/pgx/v5||pgx\n"},
		{"python", "python", `"""Docstring: import this module
from the package."""
import os, os.path as osp
from . import errors, utils as u
from .message import Message
from ..pkg.sub import (
    one,   # first
    two as second,
)
from email import *
import email.errors

def f():
    from .lazy import thing
    return thing

x = 1  # from a import b
`, `3 os||os
3 os.path||osp
4 .|errors|errors
4 .|utils|u
5 .message|Message|Message
6 ..pkg.sub|one|one -9
6 ..pkg.sub|two|second -9
10 email|*|
11 email.errors||email.errors
14 .lazy|thing|thing
`},
		{"python continuation", "python", "from .a import b, \\\n    c\n", "1 .a|b|b -2\n1 .a|c|c -2\n"},
		{"python malformed", "python", "from . import\nimport\nfrom x\nfrom .a import (b,\n", "4 .a|b|b\n"},
		{"typescript", "typescript", `// import { nope } from './comment'
/* import { nope2 } from './block' */
import { isFunction } from './util/isFunction';
import {
  Observable,
  type Subscriber,
  Subscription as Sub,
} from "../Observable";
import Default, { named } from './both';
import Def2, * as ns2 from './both2';
import * as ns from './ns';
import type { OnlyType } from './types';
import type Def3 from './def3';
import './side-effect';
import fs = require('fs');
const x = import('./dynamic');
export { a, b as c } from './reexport';
export * from './star';
export * as grouped from './grouped';
export type { T } from './t';
export const notAnImport = 1;
export { local };
const path = require('path');
const { join, resolve: res } = require("node:path");
`, `3 ./util/isFunction|isFunction|isFunction
4 ../Observable|Observable|Observable -8
4 ../Observable|Subscriber|Subscriber -8
4 ../Observable|Subscription|Sub -8
9 ./both|default|Default
9 ./both|named|named
10 ./both2|default|Def2
10 ./both2||ns2
11 ./ns||ns
12 ./types|OnlyType|OnlyType
13 ./def3|default|Def3
15 fs||fs
17 ./reexport|a|a export
17 ./reexport|b|c export
18 ./star|*| export
19 ./grouped||grouped export
20 ./t|T|T export
23 path||path
24 node:path|join|join
24 node:path|resolve|res
`},
		{"unknown language", "ruby", "require 'x'\n", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := show(Parse(c.lang, c.src)); got != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

func TestSupports(t *testing.T) {
	for lang, want := range map[string]bool{"go": true, "python": true, "typescript": true, "typescriptreact": true, "javascript": true, "ruby": false, "": false} {
		if Supports(lang) != want {
			t.Errorf("Supports(%q) = %v", lang, !want)
		}
	}
}

// FuzzParse checks that no input makes Parse panic or report a line outside the text.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"import (\n\t\"a\"\n", "from . import (a,\n", "import { a as", "export * as", "const { a: } = require(",
		"import \"\n", "'''\nimport x\n", "from .. import *", "import x = require(\"",
	} {
		f.Add("go", s)
		f.Add("python", s)
		f.Add("typescript", s)
	}
	f.Fuzz(func(t *testing.T, lang, src string) {
		lines := strings.Count(src, "\n") + 1
		for _, im := range Parse(lang, src) {
			if im.Line < 1 || im.EndLine < im.Line || im.EndLine > lines {
				t.Fatalf("lines %d-%d outside 1..%d", im.Line, im.EndLine, lines)
			}
			if im.Module == "" {
				t.Fatalf("import without a module: %+v", im)
			}
		}
	})
}
