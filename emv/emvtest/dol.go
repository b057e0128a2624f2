package emvtest

import "github.com/emvkit/emvkit/tlv"

// dolValues splits DOL-related data into the value of each tag, the first
// entry winning when a tag is listed twice (Book 3 §5.4). Data whose length
// is not the DOL's gives no values; callers check the length first and
// answer 6700.
func dolValues(d tlv.DOL, data []byte) map[tlv.Tag][]byte {
	l, err := d.Split(data)
	if err != nil {
		return nil
	}
	m := make(map[tlv.Tag][]byte, len(l))
	for _, o := range l {
		if _, dup := m[o.Tag]; !dup {
			m[o.Tag] = o.Value
		}
	}
	return m
}
