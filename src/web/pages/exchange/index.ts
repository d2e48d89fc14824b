import type { FastifyInstance } from 'fastify';
import { html } from '../../html.ts';
import { page, render, type Web } from '../../context.ts';
import { L } from '../governance/common.ts';
import { itemRoutes } from './items.ts';
import { lookupRoutes } from './lookup.ts';
import { monitoringRoutes } from './monitoring.ts';
import { integrationRoutes } from './integration.ts';

/** The exchange pages: data items, the citizen look-up (P9), integration monitoring (P10) and scheduled pulls. */
export function exchangeRoutes(app: FastifyInstance, web: Web): void {
  app.get('/exchange', page(web, async (p) => {
    const title = L(p, 'การแลกเปลี่ยนข้อมูล', 'Data exchange');
    return render(p, title, html`<h1>${title}</h1><ul>
      <li><a href="/exchange/items">${L(p, 'รายการข้อมูลสำหรับแลกเปลี่ยน (มาตรฐานข้อมูล)', 'Exchange data items (the data standard)')}</a></li>
      <li><a href="/exchange/lookup">${L(p, 'ค้นหาสิทธิของประชาชนด้วยเลขประจำตัว 13 หลัก', 'Citizen look-up by 13-digit ID')}</a></li>
      <li><a href="/exchange/monitoring">${L(p, 'ติดตามการเชื่อมโยงข้อมูล', 'Integration monitoring')}</a></li>
      <li><a href="/exchange/integration">${L(p, 'การนำเข้าข้อมูลอัตโนมัติ (Data Integration)', 'Data integration (scheduled pulls)')}</a></li></ul>`, { breadcrumbs: [[title]] });
  }));
  itemRoutes(app, web);
  lookupRoutes(app, web);
  monitoringRoutes(app, web);
  integrationRoutes(app, web);
}
