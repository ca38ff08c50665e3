package playground

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The OpenAPI document and the router agree, both ways: every documented
// operation is a route, and every API route is documented.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s, err := New(t.Context(), NewConfig())
	require.NoError(t, err)
	defer s.Close()

	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(openAPIDoc, &doc))
	require.True(t, strings.HasPrefix(doc.OpenAPI, "3."))
	param := regexp.MustCompile(`\{([a-z]+)\}`)
	var documented []string
	for p, ops := range doc.Paths {
		for m := range ops {
			if m == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(m)+" "+param.ReplaceAllString(p, ":$1"))
		}
	}
	var routed []string
	for _, r := range s.e.Routes() {
		if strings.HasPrefix(r.Path, "/api/") && r.Method != "echo_route_not_found" {
			routed = append(routed, r.Method+" "+r.Path)
		}
	}
	sort.Strings(documented)
	sort.Strings(routed)
	assert.Equal(t, routed, documented)
	assert.Greater(t, len(routed), 10)
}

// Every $ref in the document points at a schema it defines.
func TestOpenAPIRefsResolve(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(openAPIDoc, &doc))
	refs := regexp.MustCompile(`"\$ref":\s*"#/components/schemas/([A-Za-z]+)"`).FindAllSubmatch(openAPIDoc, -1)
	require.NotEmpty(t, refs)
	for _, m := range refs {
		assert.Contains(t, doc.Components.Schemas, string(m[1]))
	}
}
