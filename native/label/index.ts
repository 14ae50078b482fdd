/** Labels: templates, layout in printer dots, the 1-bit raster and its PNG. */
export { blit, bytesPerRow, createBitmap, fillRect, inkBounds, packRows, unpackRows } from './bitmap';
export type { Bitmap } from './bitmap';
export { FONT_CELL, measureText, renderText } from './font';
export { DPIS, layoutLabel, mmToDots, moduleDots } from './layout';
export type { Dpi, LabelPlan, PlanElement } from './layout';
export { bitmapToPng, pngDataUrl, pngToBitmap, withMargin } from './png';
export { drawElement, renderElement, renderLabel } from './raster';
export { defaultTemplateDir, fillPattern, labelTemplateSchema, loadTemplates, parseTemplate } from './template';
export type { LabelData, LabelElement, LabelTemplate } from './template';
