package export

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	"github.com/emmansun/gmsm/sm3"

	"biopilot/seal"
)

// pendingPDF is a PDF being rendered into memory, and hashed (SM3 and SHA-256) as
// it is written, on the rendering core.
type pendingPDF struct {
	buf    bytes.Buffer
	hs, hh hash.Hash
	done   chan error
}

// renderAhead starts rendering a PDF into memory. A form's PDF is bounded by the
// form (its text fields have limits), not by the size of the evidence.
func renderAhead(render func(io.Writer) error) *pendingPDF {
	p := &pendingPDF{hs: sm3.New(), hh: sha256.New(), done: make(chan error, 1)}
	go func() { p.done <- render(io.MultiWriter(&p.buf, p.hs, p.hh)) }()
	return p
}

// add waits for the PDF and adds its bytes to the package with the hashes computed
// over them as they were written.
func (p *pendingPDF) add(pw *seal.PackageWriter, name string) error {
	if err := <-p.done; err != nil {
		return fmt.Errorf("export: %s: %w", name, err)
	}
	_, err := pw.AddFileHashed(name, &p.buf, int64(p.buf.Len()), hex.EncodeToString(p.hh.Sum(nil)), hex.EncodeToString(p.hs.Sum(nil)))
	if err != nil {
		return fmt.Errorf("export: %s: %w", name, err)
	}
	return nil
}

// addPDF renders a PDF straight into the package through a pipe.
func addPDF(pw *seal.PackageWriter, name string, render func(io.Writer) error) error {
	pr, pwr := io.Pipe()
	go func() { pwr.CloseWithError(render(pwr)) }()
	_, err := pw.AddFile(name, pr)
	pr.CloseWithError(io.ErrClosedPipe) // stops the renderer if AddFile gave up early
	if err != nil {
		return fmt.Errorf("export: %s: %w", name, err)
	}
	return nil
}
