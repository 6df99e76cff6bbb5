package permission

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
)

// Snaptoken is an opaque token naming a revision of the tuple store.
type Snaptoken string

const snaptokenVersion = 1

// EncodeSnaptoken writes a revision as an opaque token.
func EncodeSnaptoken(rev uint64) Snaptoken {
	b := binary.AppendUvarint([]byte{snaptokenVersion}, rev)
	return Snaptoken(base64.RawURLEncoding.EncodeToString(b))
}

// DecodeSnaptoken reads a token; "" is revision 0 (no requirement).
func DecodeSnaptoken(s Snaptoken) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(string(s))
	if err != nil || len(b) < 2 || b[0] != snaptokenVersion {
		return 0, fmt.Errorf("%w: %q was not issued by this server", ErrBadSnaptoken, s)
	}
	rev, n := binary.Uvarint(b[1:])
	if n <= 0 || n != len(b)-1 {
		return 0, fmt.Errorf("%w: %q was not issued by this server", ErrBadSnaptoken, s)
	}
	return rev, nil
}
