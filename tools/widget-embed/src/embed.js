// A small embed bundle for ipywidgets 8 core controls, for the static pages of the book
// "287(g) in Key West". It renders the widget state that myst-nb saves into a page
// (<script type="application/vnd.jupyter.widget-state+json"> and widget-view scripts), like
// @jupyter-widgets/html-manager's embed.js (Copyright (c) Jupyter Development Team,
// BSD-3-Clause), from which this file is adapted, but without what the book never uses:
// the Output widget and JupyterLab's rendermime, ipywidgets 7 models, JSON-schema
// validation, Font Awesome, and loading third-party widget libraries from a CDN.
import '@lumino/widgets/style/index.css';
import '@jupyter-widgets/base/css/index.css';
import '@jupyter-widgets/controls/css/widgets-base.css';
import './static-page.css';

import * as base from '@jupyter-widgets/base';
import { ManagerBase } from '@jupyter-widgets/base-manager';
import * as controls from '@jupyter-widgets/controls';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

const STATE = 'application/vnd.jupyter.widget-state+json';
const VIEW = 'application/vnd.jupyter.widget-view+json';
const MODULES = {
  '@jupyter-widgets/base': base,
  '@jupyter-widgets/controls': controls,
};

class EmbedManager extends ManagerBase {
  constructor() {
    super();
    this._views = new Set();
    window.addEventListener('resize', () => {
      this._views.forEach((view) => {
        MessageLoop.postMessage(view.luminoWidget || view.pWidget,
                                Widget.ResizeMessage.UnknownSize);
      });
    });
  }

  async display_view(view, el) {
    const v = await view;
    Widget.attach(v.luminoWidget || v.pWidget, el);
    this._views.add(v);
    v.once('remove', () => this._views.delete(v));
  }

  _get_comm_info() {
    return Promise.resolve({});
  }

  _create_comm() {
    return Promise.resolve({ on_close() {}, on_msg() {}, close() {} });
  }

  async loadClass(className, moduleName, moduleVersion) {
    const module = MODULES[moduleName];
    if (module === undefined || !/^2\./.test(moduleVersion)) {
      throw new Error(`this page's widget bundle renders only ipywidgets 8 core widgets, ` +
                      `not ${moduleName}@${moduleVersion}`);
    }
    if (!module[className]) {
      throw new Error(`class ${className} not found in ${moduleName}@${moduleVersion}`);
    }
    return module[className];
  }
}

async function renderManager(element, state) {
  if (!state || typeof state.state !== 'object') {
    throw new Error('widget state without a "state" object');
  }
  const manager = new EmbedManager();
  const models = await manager.set_state(state);
  const tags = element.querySelectorAll(`script[type="${VIEW}"]`);
  await Promise.all(Array.from(tags).map(async (tag) => {
    const { model_id: modelId } = JSON.parse(tag.innerHTML);
    const model = models.find((m) => m.model_id === modelId);
    if (model === undefined || tag.parentElement === null) {
      return;
    }
    const holder = document.createElement('div');
    holder.className = 'widget-subarea';
    tag.parentElement.insertBefore(holder, tag);
    const view = await manager.create_view(model);
    await manager.display_view(view, holder);
  }));
}

export async function renderWidgets(element = document.documentElement) {
  if (getComputedStyle(document.documentElement).getPropertyValue('--jp-layout-color0') === '') {
    require('@jupyter-widgets/controls/css/labvariables.css');
  }
  const tags = element.querySelectorAll(`script[type="${STATE}"]`);
  await Promise.all(Array.from(tags).map((t) => renderManager(element, JSON.parse(t.innerHTML))));
}

if (!window._jupyter_widget_embedder) {
  window._jupyter_widget_embedder = true;
  window.addEventListener('load', () => {
    renderWidgets().catch((err) => console.error('ipywidgets:', err));
  });
}
