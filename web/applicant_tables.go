package web

// Tables from Excel: a template per table of the form, and the import of a filled
// one into an application (rows appended or replacing the table's), with every bad
// cell reported by row and column.

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"biopilot"
	"biopilot/authz"
	"biopilot/program"
	"biopilot/xlsx"
)

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// apiTableTemplate sends the .xlsx template of one table of the form.
func (s *Server) apiTableTemplate(w http.ResponseWriter, r *http.Request) error {
	key := r.PathValue("key")
	tbl, err := xlsx.TableField(s.prog, key)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := xlsx.Template(&buf, s.prog, key); err != nil {
		return err
	}
	w.Header().Set("Content-Type", xlsxType)
	w.Header().Set("Content-Disposition", `attachment; filename="template.xlsx"; filename*=UTF-8''`+
		url.PathEscape(tbl.Label+"-模板.xlsx"))
	_, err = w.Write(buf.Bytes())
	return err
}

// importTable reads an .xlsx into a table of the application: mode "replace" drops
// the table's rows first, otherwise rows are appended. base is the version the
// person saw; a colleague's save since is a conflict (nothing imported).
func (s *Server) importTable(r *http.Request, app *biopilot.Application, key, mode string, base int64, rd io.Reader) (*biopilot.Application, int, error) {
	if _, err := xlsx.TableField(s.prog, key); err != nil {
		return nil, 0, err
	}
	if mode != "" && mode != "append" && mode != "replace" {
		return nil, 0, invalid("mode", "导入方式 mode 应为 append（追加）或 replace（替换）")
	}
	if base <= 0 {
		return nil, 0, invalid("base_version", "缺少 base_version：请刷新页面后重试")
	}
	if base != app.Version {
		return nil, 0, &biopilot.Error{Code: biopilot.ECONFLICT, Field: "base_version", Detail: app,
			Message: fmt.Sprintf("申请已被同事修改（当前为第 %d 版）：请先保存或刷新页面，再导入", app.Version)}
	}
	rows, err := xlsx.ImportTable(rd, s.prog, key)
	if err != nil {
		return nil, 0, err
	}
	doc, err := s.prog.Form.DecodeDocument(app.Document)
	if err != nil {
		return nil, 0, err
	}
	existing, _ := valueAt(doc, key).([]any)
	program.Set(doc, key, xlsx.MergeRows(existing, rows, mode == "replace"))
	if _, err := s.prog.Form.Normalize(cloneDoc(doc)); err != nil {
		return nil, 0, err
	}
	saved, err := s.storeDocument(r.Context(), currentUser(r), app, doc)
	return saved, len(rows), err
}

func (s *Server) apiImportTable(w http.ResponseWriter, r *http.Request) error {
	app, err := s.loadApp(r, authz.Edit)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	base, _ := strconv.ParseInt(q.Get("base_version"), 10, 64)
	body := io.Reader(r.Body)
	if mr, err := r.MultipartReader(); err == nil {
		// A form upload: the first file part is the workbook.
		for {
			part, err := mr.NextPart()
			if err != nil {
				return biopilot.Errorf(biopilot.EBADREQUEST, "请选择要导入的 Excel 文件（.xlsx）")
			}
			if part.FileName() != "" {
				body = part
				break
			}
			part.Close()
		}
	}
	saved, n, err := s.importTable(r, app, r.PathValue("key"), q.Get("mode"), base, body)
	if err != nil {
		return err
	}
	out := s.appJSON(saved)
	out.Document, out.Source = visibleDocument(currentUser(r), saved)
	writeJSON(w, http.StatusOK, map[string]any{"imported": n, "application": out})
	return nil
}

// pageImportTable imports from the editor's plain form; bad cells are listed on
// the editor page.
func (s *Server) pageImportTable(w http.ResponseWriter, r *http.Request) error {
	app, err := s.loadApp(r, authz.Edit)
	if err != nil {
		return err
	}
	if r.MultipartForm == nil {
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return uploadReadError(err)
		}
	}
	key := r.FormValue("table")
	base, _ := strconv.ParseInt(r.FormValue("base_version"), 10, 64)
	fl := s.prog.Form.Field(key)
	if fl == nil || fl.Type != program.TypeTable {
		return biopilot.Errorf(biopilot.ENOTFOUND, "申请表中没有名为 %s 的表格", key)
	}
	fhs := r.MultipartForm.File["file"]
	if len(fhs) == 0 {
		return invalid("file", "请选择要导入的 Excel 文件（.xlsx）")
	}
	f, err := fhs[0].Open()
	if err != nil {
		return err
	}
	defer f.Close()
	_, _, err = s.importTable(r, app, key, r.FormValue("mode"), base, f)
	if e := biopilot.AsError(err); e != nil && e.Code == biopilot.EINVALID {
		doc, derr := s.prog.Form.DecodeDocument(app.Document)
		if derr != nil {
			return derr
		}
		errs := map[string]string{key: "导入失败，未做任何修改"}
		d, derr := s.editData(r, app, s.sectionParam(fl.Section), doc, errs)
		if derr != nil {
			return derr
		}
		p := s.newPage(r, editTitle(app, d.Section), d)
		p.Error = "Excel 导入失败：" + e.Message
		d.ImportErrors = e.Fields
		return s.render(w, r, http.StatusUnprocessableEntity, "applicant_edit", p)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/applications/%d/edit?section=%s#field-%s", app.ID, fl.Section, key), http.StatusSeeOther)
	return nil
}
