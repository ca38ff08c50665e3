package maelstrom

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decodeFast is deliver's decoding: the scanner, else encoding/json.
func decodeFast(data []byte) (Message, MessageBody, bool, error) {
	src, dest, body, h, ok := scanEnvelope(data)
	if !ok {
		m, b, err := decodeEnvelopeJSON(data)
		return m, b, false, err
	}
	return Message{Src: string(src), Dest: string(dest), Body: body},
		MessageBody{Type: string(h.Type), MsgID: h.MsgID, InReplyTo: h.InReplyTo, Code: h.Code, Text: string(h.Text)}, true, nil
}

func TestScanEnvelopeMatchesEncodingJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string
		fast bool // the scanner handles it itself
	}{
		{"plain", `{"src":"c0","dest":"n1","body":{"type":"echo","msg_id":1,"echo":"hi"}}`, true},
		{"spaces", " \n{ \"src\" : \"c0\" ,\t\"dest\":\"n1\", \"body\" : { \"type\" : \"read\" , \"msg_id\" : 7 } } \n", true},
		{"body first", `{"body":{"in_reply_to":3,"type":"x_ok"},"dest":"n1","src":"n0"}`, true},
		{"extra members", `{"id":5,"src":"c0","dest":"n1","body":{"type":"t","x":[1,{"a":"}"}],"y":null,"z":-1.5e3},"meta":{"k":[true,false]}}`, true},
		{"braces and quotes in strings", `{"src":"c0","dest":"n1","body":{"type":"t","s":"a\"}{[","msg_id":2}}`, true},
		{"empty body", `{"src":"c0","dest":"n1","body":{}}`, true},
		{"error reply", `{"src":"n0","dest":"n1","body":{"type":"error","in_reply_to":9,"code":20,"text":"not found"}}`, true},
		{"negative id", `{"src":"c0","dest":"n1","body":{"type":"t","msg_id":-4}}`, true},
		{"utf8", `{"src":"c0","dest":"n1","body":{"type":"héllo","text":"日本"}}`, true},
		{"duplicate key: last wins", `{"src":"c0","dest":"n1","body":{"type":"a","type":"b"}}`, true},
		{"escaped type", `{"src":"c0","dest":"n1","body":{"type":"e\u0063ho","msg_id":1}}`, false},
		{"escaped src", `{"src":"c\u0030","dest":"n1","body":{"type":"t"}}`, false},
		{"escaped key", `{"src":"c0","dest":"n1","body":{"ty\u0070e":"t"}}`, false},
		{"case-folded key", `{"Src":"c0","dest":"n1","body":{"Type":"t","MSG_ID":3}}`, false},
		{"big msg_id", `{"src":"c0","dest":"n1","body":{"type":"t","msg_id":1234567890123456789}}`, false},
		{"null type", `{"src":"c0","dest":"n1","body":{"type":null,"msg_id":1}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.True(t, json.Valid([]byte(tt.in)))
			wantM, wantB, wantErr := decodeEnvelopeJSON([]byte(tt.in))
			gotM, gotB, fast, err := decodeFast([]byte(tt.in))
			assert.Equal(t, tt.fast, fast, "fast path taken")
			if wantErr != nil {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, wantM.Src, gotM.Src)
			assert.Equal(t, wantM.Dest, gotM.Dest)
			assert.JSONEq(t, string(wantM.Body), string(gotM.Body))
			assert.Equal(t, wantB, gotB)
		})
	}
}

func TestScanEnvelopeRejects(t *testing.T) {
	tests := []string{
		``,
		`[]`,
		`{"src":"c0","dest":"n1"}`,
		`{"src":"c0","dest":"n1","body":[1]}`,
		`{"src":"c0","dest":"n1","body":{"type":"t"}`,
		`{"src":"c0","dest":"n1","body":{"type":"t"}} x`,
		`{"src":"c0" "dest":"n1","body":{}}`,
		`{"src":"c0","dest":"n1","body":{"type":"t","msg_id":1.5}}`,
		`{"src":1,"dest":"n1","body":{}}`,
	}
	for _, in := range tests {
		t.Run(in, func(t *testing.T) {
			_, _, _, err := decodeFast([]byte(in))
			assert.Error(t, err)
		})
	}
}

// FuzzScanEnvelope: on valid JSON the scanner never disagrees with
// encoding/json.
func FuzzScanEnvelope(f *testing.F) {
	for _, s := range []string{
		`{"src":"c0","dest":"n1","body":{"type":"echo","msg_id":1,"echo":"hi"}}`,
		`{"body":{"in_reply_to":3,"type":"x_ok","code":0},"dest":"n1","src":"n0"}`,
		`{"src":"c0","dest":"n1","body":{"type":"t","x":[1,{"a":"}"}],"text":"\n"}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		data := []byte(in)
		src, dest, body, h, ok := scanEnvelope(data)
		if !ok || !json.Valid(data) {
			return
		}
		m, b, err := decodeEnvelopeJSON(data)
		if err != nil {
			t.Fatalf("scanner accepted %q, encoding/json says %v", in, err)
		}
		if m.Src != string(src) || m.Dest != string(dest) || b.Type != string(h.Type) || b.MsgID != h.MsgID ||
			b.InReplyTo != h.InReplyTo || b.Code != h.Code || b.Text != string(h.Text) {
			t.Fatalf("scanner and encoding/json disagree on %q", in)
		}
		if string(m.Body) != string(body) {
			t.Fatalf("body %q vs %q", body, m.Body)
		}
	})
}

func TestPlainInt(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"0", 0, true}, {"-0", 0, true}, {"42", 42, true}, {"-17", -17, true},
		{"01", 0, false}, {"-01", 0, false}, {"+1", 0, false}, {"1.0", 0, false},
		{"1e3", 0, false}, {"", 0, false}, {"-", 0, false}, {"null", 0, false},
		{"123456789012345678", 123456789012345678, true}, {"1234567890123456789", 0, false},
	}
	for _, tt := range tests {
		got, ok := plainInt([]byte(tt.in))
		assert.Equal(t, tt.ok, ok, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestPlainStringBytes(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{`"abc"`, "abc", true}, {`""`, "", true}, {`"日本"`, "日本", true},
		{`"a\"b"`, "", false}, {`"a\nb"`, "", false}, {"\"a\x01\"", "", false},
		{"\"\xff\"", "", false}, {`abc`, "", false}, {`"`, "", false}, {`12`, "", false},
	}
	for _, tt := range tests {
		got, ok := plainStringBytes([]byte(tt.in))
		assert.Equal(t, tt.ok, ok, tt.in)
		assert.Equal(t, tt.want, string(got), tt.in)
	}
}
