import { createApp } from 'vue';
import '../style.css';
import StaffApp from './StaffApp.vue';

createApp(StaffApp).mount('#app');
