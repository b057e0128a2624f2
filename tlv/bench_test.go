package tlv

import "testing"

// Benchmark inputs: recorded responses from testdata/responses.json.
func benchResponse(b *testing.B, trace, command string) []byte {
	b.Helper()
	for _, r := range loadResponses(b) {
		if r.Trace == trace && r.Command == command {
			return hx(r.ResponseData)
		}
	}
	b.Fatalf("no response %s %s", trace, command)
	return nil
}

// walk reads every object of b, depth first, with the zero-allocation
// iterator, as the kernel reads a response.
func walk(it Iter, depth int) int {
	n := 0
	for it.Next() {
		n++
		if it.Tag().Constructed() && depth < MaxDepth {
			n += walk(it.Children(), depth+1)
		}
	}
	if it.Err() != nil {
		return -1
	}
	return n
}

func benchIter(b *testing.B, data []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if walk(NewIter(data), 0) <= 0 {
			b.Fatal("decoding failed")
		}
	}
}

func benchParse(b *testing.B, data []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// A qVSDC GET PROCESSING OPTIONS response (77, 201 bytes, 9 objects).
func BenchmarkIterGPO(b *testing.B) {
	benchIter(b, benchResponse(b, "talktoyourcreditcard7-visa", "GET PROCESSING OPTIONS"))
}

func BenchmarkParseGPO(b *testing.B) {
	benchParse(b, benchResponse(b, "talktoyourcreditcard7-visa", "GET PROCESSING OPTIONS"))
}

// A contact Mastercard READ RECORD response (70, 146 bytes, 17 objects).
func BenchmarkIterReadRecord(b *testing.B) {
	benchIter(b, benchResponse(b, "binaryfoo-contact-mastercard", "READ RECORD SFI 2 record 2"))
}

func BenchmarkParseReadRecord(b *testing.B) {
	benchParse(b, benchResponse(b, "binaryfoo-contact-mastercard", "READ RECORD SFI 2 record 2"))
}

func BenchmarkFindReadRecord(b *testing.B) {
	data := benchResponse(b, "binaryfoo-contact-mastercard", "READ RECORD SFI 2 record 2")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := Find(data, 0x8C); !ok {
			b.Fatal("CDOL1 not found")
		}
	}
}

// Building the CDOL1 data of the recorded Mastercard into a preallocated
// buffer, as the kernel does before GENERATE AC.
func BenchmarkDOLBuildCDOL1(b *testing.B) {
	d, err := ParseDOL(hx(cdol1))
	if err != nil {
		b.Fatal(err)
	}
	values := map[Tag][]byte{
		0x9F02: hx("000000001000"), 0x9F03: hx("000000000000"), 0x9F09: hx("0002"),
		0x95: hx("0000008000"), 0x5F2A: hx("0978"), 0x9A: hx("240217"), 0x9C: hx("00"),
		0x9F37: hx("DEADBEEF"), 0x9F35: hx("22"), 0x9F34: hx("1F0302"),
	}
	get := func(t Tag) ([]byte, bool) { v, ok := values[t]; return v, ok }
	dst := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		dst = d.Build(dst[:0], get)
	}
	if len(dst) != d.Len() {
		b.Fatal("wrong length")
	}
}

func BenchmarkParseDOL(b *testing.B) {
	raw := hx(cdol1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseDOL(raw); err != nil {
			b.Fatal(err)
		}
	}
}
