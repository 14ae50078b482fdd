import { blit, createBitmap, fillRect, type Bitmap } from './bitmap';
import { renderText } from './font';
import type { LabelPlan, PlanElement } from './layout';

/** Draws one laid-out element into the label bitmap (already whole dots: no resampling). */
export function drawElement(bitmap: Bitmap, el: PlanElement): void {
  switch (el.kind) {
    case 'text':
      blit(bitmap, renderText(el.text, el.scale), el.x, el.y);
      return;
    case 'code128': {
      let x = el.x;
      el.widths.forEach((w, i) => {
        if (i % 2 === 0) fillRect(bitmap, x, el.y, w * el.module, el.height);
        x += w * el.module;
      });
      return;
    }
    case 'matrix':
      for (let row = 0; row < el.rows; row++) {
        for (let col = 0; col < el.columns; col++) {
          if (el.cells[row * el.columns + col]) fillRect(bitmap, el.x + col * el.module, el.y + row * el.module, el.module, el.module);
        }
      }
      return;
    case 'rect':
      fillRect(bitmap, el.x, el.y, el.width, el.height);
      return;
  }
}

/** The label as printed: the one bitmap behind the preview PNG and every raster job. */
export function renderLabel(plan: LabelPlan): Bitmap {
  const bitmap = createBitmap(plan.width, plan.height);
  for (const el of plan.elements) drawElement(bitmap, el);
  return bitmap;
}

/** One element alone, cropped to its own box (native jobs send non-ASCII text this way). */
export function renderElement(el: Exclude<PlanElement, { kind: 'rect' }>): Bitmap {
  const bitmap = createBitmap(Math.max(1, el.width), Math.max(1, el.height));
  drawElement(bitmap, { ...el, x: 0, y: 0 });
  return bitmap;
}
