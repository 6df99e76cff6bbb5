package permission_test

import (
	"encoding/base64"
	"strconv"
)

func itoa(i int) string   { return strconv.Itoa(i) }
func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
