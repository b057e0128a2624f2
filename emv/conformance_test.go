package emv_test

import (
	"encoding/hex"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/emvkit/emvkit/tvr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The traceability table testdata/CONFORMANCE.md maps the requirements of
// Book 1 §12, Book 2 and Book 3 §10, and every TVR and TSI bit of Book 3
// Annex C5/C6, to the tests and sessions that check them. TestConformance
// keeps it honest:
//
//   - every bit of tvr.TVRBits and tvr.TSIBits has exactly one row, in the
//     TVR or TSI table;
//   - a bit the kernel can set names at least one test. "Can set" is found
//     by parsing the non-test Go files of emv and cvm (the packages that
//     write TVR and TSI) with go/parser and collecting every selector
//     tvr.<Identifier>: a reference anywhere counts, which can only make
//     the check stricter (a bit only read would need a test too);
//   - every test named exists: its function in a _test.go file of the
//     package's directory (all the module's test files are parsed), and a
//     case name after "/" appears as a string literal in that function, as
//     written or with t.Run's spaces-to-underscores;
//   - every session named exists under testdata/sessions, and an external
//     session named in a bit's row expects that bit set;
//   - each step of Book 3 §10.1 to §10.11, and each stage of the
//     contactless Entry Point, Book B §3.1 to §3.5, has a row;
//   - a row that names no test says "not yet covered" or "partly", and a
//     row that names one does not say "not yet covered".
func TestConformance(t *testing.T) {
	raw, err := os.ReadFile("../testdata/CONFORMANCE.md")
	require.NoError(t, err)
	rows := parseConformanceTables(t, string(raw))
	require.NotEmpty(t, rows)

	tvrIDs, tsiIDs := bitIdentifiers(t)
	settable := kernelBitReferences(t, tvrIDs, tsiIDs)
	tests := moduleTestFunctions(t)
	sessions := "../testdata/sessions"

	bitRows := map[string]int{}
	var covered, partly, missing int
	for _, r := range rows {
		where := "CONFORMANCE.md line " + strconv.Itoa(r.line)
		refs := backticked(r.cells["Tests"])
		status := strings.TrimSpace(r.cells["Status"])
		switch {
		case len(refs) == 0 && strings.HasPrefix(status, "partly"):
			partly++
		case len(refs) == 0:
			missing++
			assert.True(t, strings.HasPrefix(status, "not yet covered"), "%s: no test named, so the status must say \"not yet covered\" or \"partly\", not %q", where, status)
		default:
			covered++
			assert.NotContains(t, status, "not yet covered", "%s: names tests but says not yet covered", where)
		}
		for _, ref := range refs {
			checkTestReference(t, tests, ref, where)
		}

		var bit tvr.Bit
		var isTSI bool
		if id, ok := strings.CutPrefix(strings.Trim(r.cells["Bit"], " `"), "tvr."); ok {
			bitRows[id]++
			v, inTVR := tvrIDs[id]
			w, inTSI := tsiIDs[id]
			switch {
			case inTVR:
				assert.Contains(t, r.heading, "TVR", "%s: TVR bit %s outside the TVR table", where, id)
				bit = v
			case inTSI:
				assert.Contains(t, r.heading, "TSI", "%s: TSI bit %s outside the TSI table", where, id)
				bit, isTSI = w, true
			default:
				t.Errorf("%s: tvr.%s is not a bit of tvr.TVRBits or tvr.TSIBits", where, id)
				continue
			}
			assert.Equal(t, bit.Position(), r.cells["Position"], "%s: position of tvr.%s", where, id)
			if settable[id] {
				assert.NotEmpty(t, refs, "%s: the kernel can set tvr.%s (it appears in %s) but no test is named", where, id, r.cells["Set in"])
			}
		}
		for _, s := range backticked(r.cells["Sessions"]) {
			path := filepath.Join(sessions, filepath.FromSlash(s))
			if !assert.FileExists(t, path, "%s: session %s", where, s) {
				continue
			}
			if bit != 0 && strings.HasPrefix(s, "external/") {
				checkSessionBit(t, path, bit, isTSI, where)
			}
		}
	}
	for id := range tvrIDs {
		assert.Equal(t, 1, bitRows[id], "TVR bit tvr.%s: rows in CONFORMANCE.md", id)
	}
	for id := range tsiIDs {
		assert.Equal(t, 1, bitRows[id], "TSI bit tvr.%s: rows in CONFORMANCE.md", id)
	}
	var steps []string
	for n := 1; n <= 11; n++ {
		steps = append(steps, "Book 3 §10."+strconv.Itoa(n))
	}
	for n := 1; n <= 5; n++ {
		steps = append(steps, "Book B §3."+strconv.Itoa(n))
	}
	for _, sec := range steps {
		found := false
		for _, r := range rows {
			s := r.cells["Section"]
			if s == sec || strings.HasPrefix(s, sec+".") || strings.HasPrefix(s, sec+" ") || strings.HasPrefix(s, sec+",") {
				found = true
			}
		}
		assert.True(t, found, "no row for %s", sec)
	}
	t.Logf("CONFORMANCE.md: %d rows, %d with tests, %d partly, %d not yet covered", len(rows), covered, partly, missing)
}

type conformanceRow struct {
	heading string
	line    int
	cells   map[string]string // by column header
}

// parseConformanceTables reads the Markdown tables: a header row, a
// separator row, then rows, each under the last "## " heading.
func parseConformanceTables(t *testing.T, md string) []conformanceRow {
	var rows []conformanceRow
	var heading string
	var header []string
	lines := strings.Split(md, "\n")
	for i, line := range lines {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			heading, header = h, nil
			continue
		}
		if !strings.HasPrefix(line, "|") {
			header = nil
			continue
		}
		cells := splitRow(line)
		switch {
		case header == nil:
			header = cells
		case strings.Trim(strings.Join(cells, ""), "-: ") == "":
			// the separator row
		default:
			require.Len(t, cells, len(header), "CONFORMANCE.md line %d: cells", i+1)
			r := conformanceRow{heading: heading, line: i + 1, cells: map[string]string{}}
			for j, c := range cells {
				r.cells[header[j]] = c
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// splitRow splits a table row on the bars outside backticks.
func splitRow(line string) []string {
	var cells []string
	var cur strings.Builder
	inCode := false
	for _, c := range strings.TrimSpace(line)[1:] {
		switch {
		case c == '`':
			inCode = !inCode
			cur.WriteRune(c)
		case c == '|' && !inCode:
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteRune(c)
		}
	}
	return cells
}

var backtickRE = regexp.MustCompile("`([^`]+)`")

func backticked(cell string) []string {
	var out []string
	for _, m := range backtickRE.FindAllStringSubmatch(cell, -1) {
		out = append(out, m[1])
	}
	return out
}

// bitIdentifiers parses ../tvr/tvr.go for the identifiers listed in
// TVRBits and TSIBits, checks them against the package's values (same
// order, same names), and returns each identifier's bit.
func bitIdentifiers(t *testing.T) (tvrIDs, tsiIDs map[string]tvr.Bit) {
	f, err := parser.ParseFile(token.NewFileSet(), "../tvr/tvr.go", nil, 0)
	require.NoError(t, err)
	lists := map[string][]string{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if len(vs.Names) != 1 || len(vs.Values) != 1 {
				continue
			}
			lit, ok := vs.Values[0].(*ast.CompositeLit)
			if !ok {
				continue
			}
			for _, e := range lit.Elts {
				el, ok := e.(*ast.CompositeLit)
				if !ok || len(el.Elts) == 0 {
					continue
				}
				if id, ok := el.Elts[0].(*ast.Ident); ok {
					lists[vs.Names[0].Name] = append(lists[vs.Names[0].Name], id.Name)
				}
			}
		}
	}
	pair := func(name string, values []tvr.Named) map[string]tvr.Bit {
		ids := lists[name]
		require.Len(t, ids, len(values), "identifiers in tvr.%s", name)
		m := map[string]tvr.Bit{}
		for i, id := range ids {
			m[id] = values[i].Bit
		}
		return m
	}
	return pair("TVRBits", tvr.TVRBits), pair("TSIBits", tvr.TSIBits)
}

// kernelBitReferences returns the bit identifiers that the non-test Go
// files of emv and cvm refer to as tvr.<Identifier>.
func kernelBitReferences(t *testing.T, ids ...map[string]tvr.Bit) map[string]bool {
	refs := map[string]bool{}
	for _, dir := range []string{".", "../cvm"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
			require.NoError(t, err)
			ast.Inspect(f, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "tvr" {
					for _, m := range ids {
						if _, ok := m[sel.Sel.Name]; ok {
							refs[sel.Sel.Name] = true
						}
					}
				}
				return true
			})
		}
	}
	require.NotEmpty(t, refs, "the kernel sets no bit at all: the scan is broken")
	return refs
}

// moduleTestFunctions parses every _test.go file of the module and returns,
// for "pkgdir.FuncName" (pkgdir relative to the module root, with slashes),
// the string literals in the function's body.
func moduleTestFunctions(t *testing.T) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	root := ".."
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || fd.Body == nil {
				continue
			}
			strs := map[string]bool{}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if bl, ok := n.(*ast.BasicLit); ok && bl.Kind == token.STRING {
					if s, err := strconv.Unquote(bl.Value); err == nil {
						strs[s] = true
					}
				}
				return true
			})
			out[filepath.ToSlash(rel)+"."+fd.Name.Name] = strs
		}
		return nil
	})
	require.NoError(t, err)
	require.Contains(t, out, "emv.TestConformance", "the scan must find this test")
	return out
}

var testRefRE = regexp.MustCompile(`^([a-z0-9_]+(?:/[a-z0-9_]+)*)\.((?:Test|Fuzz|Example|Benchmark)\w*)(?:/(.+))?$`)

func checkTestReference(t *testing.T, tests map[string]map[string]bool, ref, where string) {
	m := testRefRE.FindStringSubmatch(ref)
	if !assert.NotNil(t, m, "%s: %q is not pkg.TestName or pkg.TestName/Case", where, ref) {
		return
	}
	strs, ok := tests[m[1]+"."+m[2]]
	if !assert.True(t, ok, "%s: no function %s in the _test.go files of %s", where, m[2], m[1]) || m[3] == "" {
		return
	}
	for s := range strs {
		if s == m[3] || strings.ReplaceAll(s, " ", "_") == m[3] {
			return
		}
	}
	t.Errorf("%s: %s names case %q, which %s.%s does not contain", where, ref, m[3], m[1], m[2])
}

// checkSessionBit checks that an external session expects the bit set.
func checkSessionBit(t *testing.T, path string, bit tvr.Bit, isTSI bool, where string) {
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var s struct {
		Kernel struct {
			Expect struct {
				TVR string `json:"tvr"`
				TSI string `json:"tsi"`
			} `json:"expect"`
		} `json:"kernel"`
	}
	require.NoError(t, json.Unmarshal(raw, &s), path)
	want, n := s.Kernel.Expect.TVR, 5
	if isTSI {
		want, n = s.Kernel.Expect.TSI, 2
	}
	b, err := hex.DecodeString(want)
	if !assert.NoError(t, err, "%s: %s", where, path) || !assert.Len(t, b, n, "%s: %s expects no TVR/TSI", where, path) {
		return
	}
	assert.NotZero(t, b[bit.Byte()-1]&bit.Mask(), "%s: %s does not expect %s set", where, filepath.Base(path), bit.Position())
}
