package wallet

import (
	"embed"
	"mime"
	"net/http"
	"path"
)

// web holds the page: one HTML file, its script and its style sheet, served from the
// binary (no CDN, works offline).
//
//go:embed web/index.html web/app.js web/app.css web/openapi.json
var web embed.FS

// pageCSP lets the page load only its own script, style and API.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// page serves one of the page's files.
func (a *api) page(name string) http.HandlerFunc {
	body, err := web.ReadFile("web/" + name)
	if err != nil {
		panic("wallet: the page's " + name + " is not embedded") // a build without the files is a programmer error
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	return func(rw http.ResponseWriter, _ *http.Request) {
		h := rw.Header()
		h.Set("Content-Type", ctype)
		h.Set("Content-Security-Policy", pageCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		_, _ = rw.Write(body)
	}
}

// openAPI serves the OpenAPI 3 document of the API.
func (a *api) openAPI(rw http.ResponseWriter, _ *http.Request) {
	body, _ := web.ReadFile("web/openapi.json")
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = rw.Write(body)
}
